"""The OpenAPI document and the offline Swagger UI and ReDoc pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor"
OPERATIONS = {
    ("post", "/api/tokens"),
    ("delete", "/api/tokens"),
    ("post", "/api/users"),
    ("get", "/api/users/{user_id}"),
    ("get", "/api/users/{user_id}/posts"),
    ("get", "/api/users/{user_id}/followers"),
    ("get", "/api/users/{user_id}/following"),
    ("get", "/api/me"),
    ("patch", "/api/me"),
    ("put", "/api/me/following/{user_id}"),
    ("delete", "/api/me/following/{user_id}"),
    ("put", "/api/users/{user_id}/block"),
    ("delete", "/api/users/{user_id}/block"),
    ("put", "/api/users/{user_id}/mute"),
    ("delete", "/api/users/{user_id}/mute"),
    ("get", "/api/posts"),
    ("post", "/api/posts"),
    ("post", "/api/media"),
    ("get", "/api/posts/{post_id}"),
    ("delete", "/api/posts/{post_id}"),
    ("get", "/api/feed"),
    ("patch", "/api/posts/{post_id}"),
    ("get", "/api/posts/{post_id}/replies"),
    ("get", "/api/posts/{post_id}/likes"),
    ("put", "/api/posts/{post_id}/like"),
    ("delete", "/api/posts/{post_id}/like"),
    ("get", "/api/tags/{tag}/posts"),
    ("get", "/api/notifications"),
    ("post", "/api/notifications/read"),
    ("get", "/api/messages"),
    ("get", "/api/messages/{user_id}"),
    ("post", "/api/messages/{user_id}"),
    ("get", "/api/search"),
    ("post", "/api/reports"),
}
PUBLIC = {("post", "/api/users")}
BASIC = {("post", "/api/tokens")}


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _operations(spec):
    return {
        (method, path): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_document_is_openapi_3_1_with_every_endpoint(spec):
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] == "Wren API"
    assert "Bearer" in spec["info"]["description"]
    assert set(_operations(spec)) == OPERATIONS


def test_docs_pages_are_not_in_the_document(spec):
    assert not any(path.endswith(("/docs", "/redoc")) for path in spec["paths"])
    assert all(path.startswith("/api/") for path in spec["paths"])


def test_servers_are_relative_so_try_it_out_stays_on_this_host(spec):
    assert spec["servers"] == [{"url": "/", "description": "This Wren server"}]


def test_security_schemes(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["BearerAuth"] == {
        **schemes["BearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert schemes["BasicAuth"]["scheme"] == "basic"
    for key, op in _operations(spec).items():
        if key in PUBLIC:
            assert "security" not in op
        elif key in BASIC:
            assert op["security"] == [{"BasicAuth": []}]
        else:
            assert op["security"] == [{"BearerAuth": []}], key
            assert "WWW-Authenticate" in op["responses"]["401"]["headers"]


def test_every_operation_has_summary_tags_and_error_responses(spec):
    for key, op in _operations(spec).items():
        assert op["summary"], key
        assert op["tags"], key
        codes = set(op["responses"])
        assert any(code.startswith("2") for code in codes), key
        if key not in PUBLIC:
            assert "401" in codes, key
        if "{" in key[1]:
            assert "404" in codes, key
        if "requestBody" in op:
            assert {"400", "415", "422"} <= codes, key
            content = op["requestBody"]["content"]
            if key == ("post", "/api/media"):  # a file upload
                assert content["multipart/form-data"]["schema"], key
            else:
                assert content["application/json"]["example"], key


def test_examples_are_given(spec):
    ops = _operations(spec)
    assert ops[("get", "/api/posts")]["responses"]["200"]["content"][
        "application/json"
    ]["example"]
    assert spec["components"]["schemas"]["PostOut"]["properties"]["body"]["examples"]


def test_schemas_are_truthful_about_limits(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["PostIn"]["properties"]["body"]["maxLength"] == 280
    assert schemas["PostIn"]["additionalProperties"] is False
    assert schemas["UserCreateIn"]["required"] == ["email", "password", "username"]
    assert schemas["UserCreateIn"]["properties"]["password"]["writeOnly"] is True
    assert schemas["PostPageOut"]["properties"]["next_cursor"]["type"] == [
        "string",
        "null",
    ]
    assert "email" not in schemas["UserOut"]["properties"]
    assert "email" in schemas["MeOut"]["properties"]
    limit = next(
        p
        for p in _operations(spec)[("get", "/api/feed")]["parameters"]
        if p["name"] == "limit"
    )
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)


def test_registration_documents_one_answer_for_new_and_taken_addresses(spec):
    responses = _operations(spec)[("post", "/api/users")]["responses"]
    assert {"202", "422", "429"} <= set(responses)
    assert not {"200", "201"} & set(responses)
    schema = responses["202"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    assert schema["required"] == ["message"]


@pytest.mark.parametrize(
    ("path", "assets"),
    [
        (
            "/api/docs",
            [
                "vendor/swagger-ui/swagger-ui-bundle.js",
                "vendor/swagger-ui/swagger-ui.css",
                "js/api-docs.js",
            ],
        ),
        ("/api/redoc", ["vendor/redoc/redoc.standalone.js", "js/redoc-init.js"]),
    ],
)
def test_docs_pages_load_only_local_assets(client, path, assets):
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for asset in assets:
        assert f'"/static/{asset}"' in html
        with client.get(f"/static/{asset}") as static:
            assert static.status_code == 200
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    # No inline script: every <script> loads one of our files.
    assert _csp(response)["script-src"] == "'self'"
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts
    for attributes in scripts:
        assert 'src="/static/' in attributes
    assert 'data-spec-url="/api/openapi.json"' in html


def _csp(response):
    return dict(
        (part.split(" ", 1) + [""])[:2]
        for part in (
            p.strip() for p in response.headers["Content-Security-Policy"].split(";")
        )
        if part
    )


def test_docs_pages_relax_only_style_src_and_workers(client):
    docs, redoc, home = (_csp(client.get(p)) for p in ("/api/docs", "/api/redoc", "/"))
    for policy in (docs, redoc):
        assert "'unsafe-inline'" in policy["style-src"]
        assert "nonce-" not in policy["style-src"]  # a nonce would void 'unsafe-inline'
        assert policy["script-src"] == "'self'"
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        assert policy["frame-ancestors"] == "'none'"
        assert policy["connect-src"] == "'self'"
    assert redoc["worker-src"] == "'self' blob:"
    assert "worker-src" not in docs
    assert "'unsafe-inline'" not in home["style-src"]
    assert "worker-src" not in home


def test_spec_and_other_api_answers_keep_the_strict_policy(client, user):
    policy = _csp(client.get("/api/openapi.json"))
    assert "'unsafe-inline'" not in policy["style-src"]


def test_vendored_assets_are_recorded_with_versions_and_licences():
    readme = (VENDOR / "README.md").read_text()
    swagger = re.search(r"\| swagger-ui-dist \| (5\.\d+\.\d+) \| Apache-2.0", readme)
    redoc = re.search(r"\| redoc \| (2\.\d+\.\d+) \| MIT", readme)
    assert swagger
    assert redoc
    assert "Apache License" in (VENDOR / "swagger-ui" / "LICENSE").read_text()
    assert "MIT" in (VENDOR / "redoc" / "LICENSE").read_text()
    bundle = (VENDOR / "swagger-ui" / "swagger-ui-bundle.js").read_text()
    assert "SwaggerUIBundle" in bundle
    assert "sourceMappingURL=swagger-ui-bundle.js.map" not in bundle
    redoc_bundle = (VENDOR / "redoc" / "redoc.standalone.js").read_text()
    assert "Redoc" in redoc_bundle
    assert "cdn.redoc.ly" not in redoc_bundle  # the badge image is neutralised


def test_vendor_script_pins_versions_and_uses_npm_pack():
    script = (ROOT / "scripts" / "vendor-docs.sh").read_text()
    assert "npm pack" in script
    assert "2.*)" in script  # refuses ReDoc 3.x
    readme = (VENDOR / "README.md").read_text()
    version = re.search(r"\| redoc \| (\S+) \|", readme).group(1)
    assert f"REDOC_VERSION:-{version}" in script


def test_id_path_parameters_document_their_range(spec):
    for (_method, path), op in _operations(spec).items():
        for parameter in op["parameters"]:
            if parameter["in"] != "path" or parameter["name"] == "tag":
                continue
            assert parameter["name"] in {"user_id", "post_id"}, path
            schema = parameter["schema"]
            assert (schema["minimum"], schema["maximum"]) == (1, 2**31 - 1), path
            assert schema["examples"], path


def test_the_tag_path_parameter_documents_its_length(spec):
    parameter = _operations(spec)[("get", "/api/tags/{tag}/posts")]["parameters"][0]
    assert parameter["name"] == "tag"
    schema = parameter["schema"]
    assert (schema["minLength"], schema["maxLength"]) == (1, 64)
