"""Sessions: a server-side record per login, cookie flags, remember-me."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask.sessions import SecureCookieSessionInterface

from app.db_types import utcnow
from app.extensions import db
from app.models import LoginSession
from tests.conftest import AuthActions
from tests.factories import UserFactory


def set_cookie_headers(response, name: str) -> list[str]:
    return [
        h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")
    ]


def logged_in(client) -> bool:
    return "Log out" in client.get("/").get_data(as_text=True)


def copy_of(app, browser, *names: str):
    """A second browser holding copies of ``browser``'s cookies."""
    thief = app.test_client()
    for name in names:
        cookie = browser.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def login_records(app, user) -> list[LoginSession]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(LoginSession).where(LoginSession.user_id == user.id)
            )
        )


def test_the_login_record_is_checked_on_every_request(client, auth, app, user):
    auth.login(user, remember=True)
    assert logged_in(client)
    with app.app_context():
        db.session.execute(sa.delete(LoginSession))
        db.session.commit()
    assert not logged_in(client)
    assert client.get("/settings/profile").status_code == 302


def test_each_login_is_a_record_with_its_device(app, user):
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux) Firefox/140"
    AuthActions(browser).login(user)
    AuthActions(app.test_client()).login(user, remember=True)
    records = login_records(app, user)
    assert len(records) == 2
    assert {r.remember for r in records} == {False, True}
    first = next(r for r in records if not r.remember)
    assert first.user_agent == "Mozilla/5.0 (X11; Linux) Firefox/140"
    assert first.ip == "127.0.0.1"
    assert first.created_at <= first.last_used_at <= utcnow()


def test_cookies_name_a_random_login_token_not_the_user_id(app, client, auth, user):
    auth.login(user, remember=True)
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    data = serializer.loads(client.get_cookie("session").value)
    token = data["_user_id"]
    assert str(user.id) not in token.split(":")
    assert len(token) >= 40
    assert client.get_cookie("remember_token").value.startswith(token + "|")
    # Only a digest of the token is stored.
    (record,) = login_records(app, user)
    assert record.token_hash != token
    assert len(record.token_hash) == 64


def test_copied_session_cookie_dies_at_logout(app, client, auth, user):
    auth.login(user)
    thief = copy_of(app, client, "session")
    assert logged_in(thief)
    auth.logout()
    assert not logged_in(thief)
    assert thief.get("/settings/profile").status_code == 302
    assert login_records(app, user) == []


def test_copied_remember_cookie_dies_at_logout(app, client, auth, user):
    auth.login(user, remember=True)
    remember = client.get_cookie("remember_token").value
    thief = copy_of(app, client, "remember_token")
    assert logged_in(thief)  # the remember cookie alone restores the login
    auth.logout()
    assert not logged_in(thief)  # the session it restored has died too
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember)
    assert not logged_in(fresh)


def test_remember_me_expires_on_the_server(app, client, auth, user):
    auth.login(user, remember=True)
    with app.app_context():
        db.session.execute(
            sa.update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    restarted = copy_of(app, client, "remember_token")
    assert not logged_in(restarted)
    assert not logged_in(client)


def test_remember_me_lasts_as_configured(make_app, user):
    app = make_app(REMEMBER_COOKIE_DAYS="2")
    with app.app_context():
        UserFactory(username="ann")
    AuthActions(app.test_client()).login("ann", remember=True)
    with app.app_context():
        record = db.session.scalar(sa.select(LoginSession))
        lifetime = record.expires_at - record.created_at
    assert lifetime == timedelta(days=2)


def test_an_unused_login_without_remember_me_ends(make_app):
    app = make_app(LOGIN_IDLE_TIMEOUT="3600")
    with app.app_context():
        UserFactory(username="ann")
    browser = app.test_client()
    AuthActions(browser).login("ann")
    with app.app_context():
        record = db.session.scalar(sa.select(LoginSession))
        assert record.expires_at - record.created_at == timedelta(hours=1)
        record.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert not logged_in(browser)


def test_use_moves_last_used_and_the_idle_expiry_on(app, client, auth, user):
    auth.login(user)
    long_ago = utcnow() - timedelta(hours=2)
    with app.app_context():
        db.session.execute(sa.update(LoginSession).values(last_used_at=long_ago))
        db.session.commit()
    assert logged_in(client)
    (record,) = login_records(app, user)
    assert record.last_used_at > long_ago + timedelta(hours=1)
    assert record.expires_at > utcnow() + timedelta(days=6)


def test_two_sessions_are_independent_until_the_password_changes(app, user):
    first, second = app.test_client(), app.test_client()
    AuthActions(first).login(user)
    AuthActions(second).login(user)
    AuthActions(first).logout()
    assert not logged_in(first)
    assert logged_in(second)


def test_session_cookie_is_httponly_and_samesite_lax(auth, user):
    response = auth.login(user)
    (cookie,) = set_cookie_headers(response, "session")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in development and tests


def test_logout_deletes_the_remember_cookie(client, auth, user):
    auth.login(user, remember=True)
    assert client.get_cookie("remember_token") is not None
    response = auth.logout()
    (cookie,) = set_cookie_headers(response, "remember_token")
    assert "Expires=Thu, 01 Jan 1970" in cookie
    assert client.get_cookie("remember_token") is None
    assert not logged_in(client)


def test_remember_cookie_restores_the_session(app, user):
    browser = app.test_client()
    AuthActions(browser).login(user, remember=True)
    remember = browser.get_cookie("remember_token").value
    restarted = app.test_client()  # the session cookie died with the browser
    restarted.set_cookie("remember_token", remember)
    assert logged_in(restarted)


def test_forged_remember_cookie_is_ignored(app, user):
    browser = app.test_client()
    browser.set_cookie("remember_token", f"{user.id}:1|" + "0" * 128)
    assert not logged_in(browser)


def test_production_cookies_are_secure(production_app):
    with production_app.app_context():
        UserFactory(username="john")
    client = production_app.test_client()
    # Behind the TLS proxy, as in production (ProxyFix trusts one hop).
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
    # Flask-WTF checks the Referer on HTTPS, as a browser would send it.
    client.environ_base["HTTP_REFERER"] = "https://localhost/auth/login"
    response = AuthActions(client).login("john", remember=True)
    assert response.status_code == 302
    (session_cookie,) = set_cookie_headers(response, "session")
    (remember_cookie,) = set_cookie_headers(response, "remember_token")
    for cookie in (session_cookie, remember_cookie):
        assert "Secure" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
