"""Logout is a CSRF-protected POST; protected pages send anonymous users to login."""

from __future__ import annotations

import pytest


def test_logout_by_get_is_not_allowed(client, auth, user):
    auth.login(user)
    assert client.get("/auth/logout").status_code == 405
    assert "Log out" in client.get("/").get_data(as_text=True)


def test_logout_without_csrf_token_is_refused(client, auth, user):
    auth.login(user)
    response = client.post("/auth/logout")
    assert response.status_code == 400
    assert "Log out" in client.get("/").get_data(as_text=True)


def test_logout_with_csrf_token_logs_out(client, auth, user):
    auth.login(user)
    response = auth.logout()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "You have been logged out." in page
    assert "Log out" not in page


def test_logout_button_is_a_post_form(client, auth, user):
    auth.login(user)
    page = client.get("/").get_data(as_text=True)
    assert '<form method="post" action="/auth/logout"' in page


@pytest.mark.parametrize(
    "path",
    ["/settings/profile", "/settings/password", "/settings/email", "/settings/delete"],
)
def test_settings_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert "settings" in response.headers["Location"]


def test_resend_confirmation_needs_login(client, auth):
    response = auth.post_form("/auth/resend_confirmation", {}, page="/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
