"""Ids are never handed out twice, so nothing that names one can change owner."""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, Post, User
from tests.conftest import SHARED_DB, AuthActions
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.servers import Browser, LiveServer, flask_cli


def newest_deleted_then_recreated(app, model, make):
    with app.app_context():
        first = make()
        db.session.commit()
        old_id = first.id
        db.session.delete(first)
        db.session.commit()
        second = make()
        db.session.commit()
        return old_id, second.id


@pytest.mark.parametrize("model", [User, Post, ApiToken])
def test_an_id_is_not_reused_after_the_newest_row_is_deleted(app, model):
    from datetime import timedelta

    from app.db_types import utcnow

    with app.app_context():
        owner = UserFactory(username="owner")
        db.session.commit()
        owner_id = owner.id
    counter = iter(range(100))

    def make():
        n = next(counter)
        if model is User:
            row = UserFactory(username=f"u{n}")
        elif model is Post:
            row = Post(user_id=owner_id, body=f"post {n}")
        else:
            row = ApiToken(
                token_hash=f"{n:064d}",
                user_id=owner_id,
                expires_at=utcnow() + timedelta(hours=1),
            )
        db.session.add(row)
        db.session.flush()
        return row

    old_id, new_id = newest_deleted_then_recreated(app, model, make)
    assert new_id > old_id


def test_a_deleted_accounts_cookies_never_open_the_next_account(app):
    """mallory keeps her cookies and deletes her account; victoria registers."""
    with app.app_context():
        UserFactory(username="mallory")
    mallory = app.test_client()
    mallory_auth = AuthActions(mallory)
    mallory_auth.login("mallory", remember=True)
    kept = {
        name: mallory.get_cookie(name).value for name in ("session", "remember_token")
    }
    response = mallory_auth.post_form(
        "/settings/delete", {"password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302

    victoria = app.test_client()
    AuthActions(victoria).register("victoria", "victoria@example.com")
    with app.app_context():
        victoria_row = db.session.scalar(
            sa.select(User).where(User.username == "victoria")
        )
        assert victoria_row is not None
        victoria_row.email_confirmed_at = victoria_row.created_at
        db.session.commit()

    for names in (("session",), ("remember_token",), ("session", "remember_token")):
        replay = app.test_client()
        for name in names:
            replay.set_cookie(name, kept[name])
        settings = replay.get("/settings/email")
        assert settings.status_code == 302, names
        assert "/auth/login" in settings.headers["Location"]
        assert "victoria@example.com" not in replay.get("/").get_data(as_text=True)


def register_and_login(base: str, name: str, remember: bool = False) -> Browser:
    browser = Browser()
    registered = browser.submit(
        base + "/auth/register",
        {
            "username": name,
            "email": f"{name}@example.com",
            "password": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )
    assert registered.status_code == 302
    data = {"username": name, "password": DEFAULT_PASSWORD}
    if remember:
        data["remember_me"] = "y"
    assert browser.submit(base + "/auth/login", data).status_code == 302
    return browser


def replay(base: str, cookies: dict[str, str]) -> requests.Response:
    thief = requests.Session()
    for name, value in cookies.items():
        thief.cookies.set(name, value)
    return thief.get(base + "/settings/email", allow_redirects=False, timeout=10)


@pytest.mark.slow
@pytest.mark.skipif(bool(SHARED_DB), reason="SQLite id reuse; runs in the SQLite pass")
def test_under_gunicorn_saved_cookies_never_open_another_or_a_logged_out_account(
    tmp_path,
):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'wren.sqlite'}"}
    flask_cli(env, "db", "upgrade")
    with LiveServer(env, workers=3) as server:
        base = server.url
        mallory = register_and_login(base, "mallory", remember=True)
        kept = {c.name: c.value for c in mallory.cookies}
        assert {"session", "remember_token"} <= set(kept)
        deleted = mallory.submit(
            base + "/settings/delete", {"password": DEFAULT_PASSWORD}
        )
        assert deleted.status_code == 302
        victoria = register_and_login(base, "victoria")
        assert (
            "victoria@example.com"
            in victoria.get(base + "/settings/email", timeout=10).text
        )
        for names in (["session"], ["remember_token"], list(kept)):
            answer = replay(base, {name: kept[name] for name in names})
            assert answer.status_code == 302, names
            assert "/auth/login" in answer.headers["Location"]

        # A copied cookie dies with the logout of the browser it came from.
        copied = {c.name: c.value for c in victoria.cookies}
        assert replay(base, copied).status_code == 200
        logout = victoria.submit(base + "/auth/logout", {}, page=base + "/")
        assert logout.status_code == 302
        assert replay(base, copied).status_code == 302
