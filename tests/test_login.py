"""Logging in: by username or email, no enumeration, fresh session."""

from __future__ import annotations

import time

import pytest

from app.extensions import db
from app.models import User
from app.services import accounts

LOGIN_FAILED = "Invalid username or password."


def test_login_page_has_the_form_and_reset_link(client):
    page = client.get("/auth/login").get_data(as_text=True)
    for name in ("username", "password", "remember_me", "csrf_token"):
        assert f'name="{name}"' in page
    assert 'href="/auth/reset_password_request"' in page
    assert "Forgot password?" in page


@pytest.mark.parametrize(
    "login", ["john", "JOHN", "john@example.com", "John@Example.COM"]
)
def test_login_by_username_or_email(client, auth, make_user, login):
    make_user("john", email="john@example.com")
    response = auth.login(login)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Log out" in page
    assert 'href="/user/john"' in page


def test_unknown_user_and_wrong_password_look_the_same(client, auth, user):
    unknown = auth.login("nobody")
    wrong = auth.login("john", "not the password at all")
    assert unknown.status_code == wrong.status_code == 200
    assert LOGIN_FAILED in unknown.get_data(as_text=True)
    assert LOGIN_FAILED in wrong.get_data(as_text=True)
    # Same page apart from the per-request CSRF token.
    strip = _strip_volatile
    assert strip(unknown.get_data(as_text=True)) == strip(
        wrong.get_data(as_text=True).replace('value="john"', 'value="nobody"')
    )
    assert "Log out" not in client.get("/").get_data(as_text=True)


def _strip_volatile(page: str) -> str:
    import re

    page = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", page)
    return re.sub(r'value="[^"]{40,}"', "", page)


def test_unknown_user_costs_a_real_hash_check(app, user, monkeypatch):
    """Unknown logins verify against a real hash, so timing tells nothing."""
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "pbkdf2:sha256:100000")

    def fastest(login: str) -> float:
        # The minimum of several runs is robust to a busy machine.
        times = []
        for _ in range(5):
            start = time.perf_counter()
            assert accounts.authenticate(login, "guess guess guess") is None
            times.append(time.perf_counter() - start)
        return min(times)

    with app.app_context():
        db.session.get(User, user.id).set_password("slow hashed password")
        db.session.commit()
        accounts.authenticate("nobody", "warm-up")  # builds the dummy hash once
        unknown = fastest("nobody")
        wrong = fastest("john")
    # Without the dummy check an unknown login returns in microseconds.
    assert unknown > wrong / 3
    assert wrong > unknown / 3


def test_session_cookie_changes_at_login(client, auth, user):
    client.get("/auth/login")
    before = client.get_cookie("session").value
    auth.login(user)
    after = client.get_cookie("session").value
    assert before != after


def test_values_planted_in_the_session_do_not_survive_login(app, client, auth, user):
    client.get("/auth/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    auth.login(user)
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_logged_in_user_visiting_login_is_redirected(client, auth, user):
    auth.login(user)
    response = client.get("/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_needs_csrf_token(client, user):
    response = client.post(
        "/auth/login", data={"username": "john", "password": "x" * 10}
    )
    assert response.status_code == 400
    assert "Log out" not in client.get("/").get_data(as_text=True)


def test_remember_me_sets_a_long_lived_httponly_cookie(client, auth, user):
    response = auth.login(user, remember=True)
    cookie = next(
        h for h in response.headers.getlist("Set-Cookie")
        if h.startswith("remember_token=")
    )  # fmt: skip
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie


def test_unconfirmed_user_can_log_in_and_sees_banner(client, auth, make_user):
    make_user("john", email_confirmed_at=None)
    auth.login("john")
    page = client.get("/").get_data(as_text=True)
    assert "Please confirm your email address" in page
    assert 'action="/auth/resend_confirmation"' in page
