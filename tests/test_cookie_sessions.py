"""Signed-cookie sessions that verify each distinct cookie once."""

from __future__ import annotations

import time
from datetime import timedelta

from app.cookie_sessions import RememberingSessionInterface


def cookie_for(app, data: dict) -> str:
    with app.test_request_context():
        return app.session_interface.get_signing_serializer(app).dumps(data)


def opened(app, cookie: str | None):
    headers = {"Cookie": f"session={cookie}"} if cookie is not None else {}
    with app.test_request_context(headers=headers) as ctx:
        return dict(app.session_interface.open_session(app, ctx.request))


def test_the_app_uses_it(app):
    assert isinstance(app.session_interface, RememberingSessionInterface)


def test_a_good_cookie_opens_the_same_twice_and_is_remembered(app):
    cookie = cookie_for(app, {"_user_id": "1:1", "csrf_token": "abc"})
    assert opened(app, cookie) == {"_user_id": "1:1", "csrf_token": "abc"}
    assert opened(app, cookie) == {"_user_id": "1:1", "csrf_token": "abc"}
    assert cookie in app.session_interface._verified


def test_a_tampered_cookie_opens_an_empty_session(app):
    cookie = cookie_for(app, {"_user_id": "1:1"})
    opened(app, cookie)  # remembered now
    assert opened(app, cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")) == {}


def test_a_remembered_cookie_still_expires(app, monkeypatch):
    app.permanent_session_lifetime = timedelta(seconds=60)
    cookie = cookie_for(app, {"_user_id": "1:1"})
    assert opened(app, cookie) == {"_user_id": "1:1"}
    later = time.time() + 120
    monkeypatch.setattr("app.cookie_sessions.time.time", lambda: later)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert opened(app, cookie) == {}


def test_sessions_holding_lists_are_not_remembered(app):
    cookie = cookie_for(app, {"_flashes": [["success", "Saved."]]})
    assert opened(app, cookie) == {"_flashes": [["success", "Saved."]]}
    assert cookie not in app.session_interface._verified


def test_a_new_secret_key_forgets_every_cookie(app):
    cookie = cookie_for(app, {"_user_id": "1:1"})
    opened(app, cookie)
    app.secret_key = "a different key"
    assert opened(app, cookie) == {}


def test_an_untouched_session_writes_no_cookie_but_varies(client, auth, user):
    auth.login("john")
    client.get("/explore")  # the first page after login stores a CSRF secret
    response = client.get("/explore")
    assert "Set-Cookie" not in response.headers
    assert "Cookie" in response.headers.get("Vary", "")
    assert opened(client.application, None) == {}
