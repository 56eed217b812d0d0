from __future__ import annotations

from app import create_app
from tests.statements import count_statements


def test_healthz_does_not_touch_the_database(app, client):
    with count_statements(app) as statements:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert statements == []


def test_readyz_answers_when_the_database_does(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_readyz_is_503_when_the_database_is_unreachable(app_env, monkeypatch, tmp_path):
    # SQLite cannot open a file inside a directory that does not exist.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    broken = create_app("testing")
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert broken.test_client().get("/healthz").status_code == 200


def test_pages_answer_503_with_the_error_page_when_the_database_is_gone(
    app_env, monkeypatch, tmp_path
):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    client = create_app("testing").test_client()
    page = client.get("/user/john")
    assert page.status_code == 503
    assert b"Temporarily unavailable" in page.data
    assert page.headers["Retry-After"]
    api = client.get("/user/john", headers={"Accept": "application/json"})
    assert api.status_code == 503
    assert "database" in api.json["message"]
