"""Every error status has a page in the site layout, or JSON for JSON clients."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from flask import abort

from app.extensions import db
from app.models import User

STATUSES = [400, 401, 403, 404, 405, 413, 429, 500, 503]


@pytest.fixture
def error_app(make_app):
    app = make_app()
    # TESTING re-raises exceptions; production behaviour is what we check.
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def fail(code: int):
        if code == 500:
            raise RuntimeError("boom: secret internals")
        abort(code)

    app.add_url_rule("/_fail/<int:code>", view_func=fail)
    app.add_url_rule("/api/_fail/<int:code>", endpoint="api_fail", view_func=fail)
    return app


@pytest.mark.parametrize("status", STATUSES)
def test_error_page_in_site_layout(error_app, status):
    response = error_app.test_client().get(f"/_fail/{status}")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f">{status}<" in page
    assert 'href="/"' in page  # a way home
    assert "Skip to content" in page  # the normal layout, not a bare page


@pytest.mark.parametrize("status", STATUSES)
def test_api_paths_get_json_errors(error_app, status):
    response = error_app.test_client().get(f"/api/_fail/{status}")
    assert response.status_code == status
    assert response.is_json
    assert isinstance(response.json["message"], str)
    assert response.json["message"]


@pytest.mark.parametrize("status", [404, 405, 500])
def test_json_clients_get_json_errors_on_pages(error_app, status):
    response = error_app.test_client().get(
        f"/_fail/{status}", headers={"Accept": "application/json"}
    )
    assert response.status_code == status
    assert response.is_json


def test_unknown_page_is_404_html(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_method_not_allowed_page(client):
    response = client.delete("/auth/login")
    assert response.status_code == 405
    assert b"Method not allowed" in response.data
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_413(client):
    response = client.post("/auth/login", data={"username": "x" * (1024 * 1024 + 10)})
    assert response.status_code == 413
    assert b"Too large" in response.data


def test_500_hides_the_traceback_rolls_back_and_logs_request_id(error_app, caplog):
    def broken_write():
        db.session.add(
            User(username="ghost", email="ghost@example.com", password_hash="x")
        )
        db.session.flush()
        raise RuntimeError("boom: secret internals")

    error_app.add_url_rule("/_broken_write", view_func=broken_write)
    client = error_app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/_broken_write", headers={"X-Request-ID": "req-abc123"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "secret internals" not in page
    assert "Traceback" not in page
    assert "req-abc123" in page
    assert response.headers["X-Request-ID"] == "req-abc123"
    assert any(
        getattr(r, "request_id", None) == "req-abc123"
        and "boom" in r.getMessage() + str(r.exc_info)
        for r in caplog.records
    )
    with error_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_every_response_has_a_request_id(client):
    first = client.get("/").headers["X-Request-ID"]
    second = client.get("/").headers["X-Request-ID"]
    assert first
    assert second
    assert first != second


def test_hostile_request_id_is_replaced(client):
    hostile = "<script>alert(1)</script> " + "x" * 100
    response = client.get("/", headers={"X-Request-ID": hostile})
    assert response.headers["X-Request-ID"] != hostile
    assert len(response.headers["X-Request-ID"]) == 32
