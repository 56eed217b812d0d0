"""Sessions: version checked on every request, cookie flags, remember-me."""

from __future__ import annotations

from app.extensions import db
from app.models import User
from tests.conftest import AuthActions
from tests.factories import UserFactory


def set_cookie_headers(response, name: str) -> list[str]:
    return [
        h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")
    ]


def logged_in(client) -> bool:
    return "Log out" in client.get("/").get_data(as_text=True)


def test_session_version_is_checked_on_every_request(client, auth, app, user):
    auth.login(user, remember=True)
    assert logged_in(client)
    with app.app_context():
        db.session.get(User, user.id).end_other_sessions()
        db.session.commit()
    assert not logged_in(client)
    assert client.get("/settings/profile").status_code == 302


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
