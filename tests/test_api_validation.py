"""How the API answers bad requests: always JSON, never a 500."""

from __future__ import annotations

import pytest

from app.json import MAX_DEPTH, nesting_depth
from tests.api_helpers import basic, bearer, obtain_token


@pytest.fixture
def token(client, user) -> str:
    return obtain_token(client, "john")


@pytest.mark.parametrize(
    "path",
    [
        "/api/posts",
        "/api/feed",
        "/api/users/1/posts",
        "/api/users/1/followers",
        "/api/users/1/following",
    ],
)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-5", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("limit=", "limit"),
        ("cursor=abc", "cursor"),
        ("cursor=-1", "cursor"),
        ("cursor=0", "cursor"),
        ("cursor=1e3", "cursor"),
        ("cursor=" + "9" * 40, "cursor"),
        ("cursor=2147483648", "cursor"),
        ("cursor=%EF%BC%91", "cursor"),  # a full-width digit one
    ],
)
def test_bad_limits_and_cursors_are_422(client, token, path, query, field):
    response = client.get(f"{path}?{query}", headers=bearer(token))
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "Validation error"
    assert field in body["detail"]["query"]


@pytest.mark.parametrize("limit", ["1", "100"])
def test_limit_bounds_are_accepted(client, token, limit):
    assert (
        client.get(f"/api/posts?limit={limit}", headers=bearer(token)).status_code
        == 200
    )


def test_empty_cursor_means_first_page(client, token):
    assert client.get("/api/posts?cursor=", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/posts"), ("patch", "/api/me"), ("post", "/api/users")],
)
@pytest.mark.parametrize("data", ["{", '{"body": }', "\xff\xfe", "[1,]"])
def test_malformed_json_is_400(client, token, method, path, data):
    response = getattr(client, method)(
        path,
        data=data.encode("latin-1"),
        content_type="application/json",
        headers=bearer(token),
    )
    assert response.status_code == 400
    assert response.is_json
    assert "JSON" in response.get_json()["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/posts"), ("patch", "/api/me"), ("post", "/api/users")],
)
@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/x-www-form-urlencoded", "body=hello"),
        ("text/plain", '{"body": "hello"}'),
        ("multipart/form-data; boundary=x", "--x--"),
    ],
)
def test_non_json_body_is_415(client, token, method, path, content_type, data):
    response = getattr(client, method)(
        path, data=data, content_type=content_type, headers=bearer(token)
    )
    assert response.status_code == 415
    assert "application/json" in response.get_json()["message"]


@pytest.mark.parametrize("payload", [[], "text", 42, None, [{"body": "x"}]])
def test_json_that_is_not_an_object_is_422(client, token, payload):
    response = client.post("/api/posts", json=payload, headers=bearer(token))
    assert response.status_code == 422
    assert response.get_json()["message"] == "Validation error"


def test_json_with_charset_is_accepted(client, token):
    response = client.post(
        "/api/posts",
        data='{"body": "caf\u00e9"}'.encode(),
        content_type="application/json; charset=utf-8",
        headers=bearer(token),
    )
    assert response.status_code == 201
    assert response.get_json()["body"] == "caf\u00e9"


def test_body_over_one_megabyte_is_413_json(client, token):
    response = client.post(
        "/api/posts",
        data=b'{"body": "' + b"x" * (1024 * 1024) + b'"}',
        content_type="application/json",
        headers=bearer(token),
    )
    assert response.status_code == 413
    assert response.is_json
    assert response.get_json()["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/nowhere"), ("put", "/api/posts"), ("get", "/api/users/abc")],
)
def test_unknown_routes_and_methods_answer_json(client, token, method, path):
    response = getattr(client, method)(path, headers=bearer(token))
    assert response.status_code in {404, 405}
    assert response.is_json
    assert response.get_json()["message"]


def test_html_pages_keep_html_errors(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# "[" * 100000 once answered 500 with RecursionError tracebacks in the log.
DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000
DEEP_FIELD = '{"body": ' + DEEP_ARRAY + ', "username": "x"}'
NESTED_JSON = pytest.mark.parametrize(
    "data", [DEEP_ARRAY, DEEP_OBJECT, DEEP_FIELD], ids=["array", "object", "field"]
)
JSON_ENDPOINTS = pytest.mark.parametrize(
    ("method", "path", "credentials"),
    [
        ("post", "/api/users", None),
        ("post", "/api/tokens", "basic"),
        ("post", "/api/posts", "bearer"),
        ("patch", "/api/me", "bearer"),
        ("put", "/api/me/following/1", "bearer"),
    ],
)


def _auth_headers(client, credentials: str | None) -> dict[str, str]:
    if credentials == "basic":
        return basic("john")
    if credentials == "bearer":
        return bearer(obtain_token(client, "john"))
    return {}


@NESTED_JSON
@JSON_ENDPOINTS
def test_deeply_nested_json_is_a_400(
    client, user, caplog, data, method, path, credentials
):
    headers = _auth_headers(client, credentials)
    response = client.open(
        path,
        method=method.upper(),
        data=data,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 400
    assert response.is_json
    assert "not valid JSON" in response.get_json()["message"]
    assert "Traceback" not in caplog.text
    assert "RecursionError" not in caplog.text


def _nested(field: str, depth: int) -> str:
    return '{"%s": %s}' % (field, "[" * depth + "]" * depth)  # noqa: UP031


ENDPOINT_FIELDS = pytest.mark.parametrize(
    ("path", "field"), [("/api/users", "username"), ("/api/posts", "body")]
)


@ENDPOINT_FIELDS
def test_shallow_nesting_reaches_the_schema(client, token, path, field):
    response = client.post(
        path,
        data=_nested(field, MAX_DEPTH - 1),
        content_type="application/json",
        headers=bearer(token),
    )
    assert response.status_code == 422
    assert field in response.get_json()["detail"]["json"]


@pytest.mark.parametrize("depth", [MAX_DEPTH, 500, 1000, 1022])
@ENDPOINT_FIELDS
def test_nesting_our_parser_refuses_is_a_400(client, token, caplog, depth, path, field):
    """orjson takes up to 1,024 levels; webargs' second parse, with the
    standard library, ran out of stack near 1,000: a RecursionError and 500."""
    response = client.post(
        path,
        data=_nested(field, depth),
        content_type="application/json",
        headers=bearer(token),
    )
    assert response.status_code == 400
    assert f"nested deeper than {MAX_DEPTH} levels" in response.get_json()["message"]
    assert "RecursionError" not in caplog.text


def test_nesting_depth_is_counted_without_recursion():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert nesting_depth(deep) == MAX_DEPTH + 1
    assert nesting_depth({"a": [1, {"b": []}], "c": 2}) == 4
    assert nesting_depth([]) == 1


@NESTED_JSON
@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/"])
def test_deeply_nested_json_to_a_form_is_a_400(client, caplog, data, path):
    response = client.post(
        path,
        data=data,
        content_type="application/json",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["message"]
    assert "RecursionError" not in caplog.text
