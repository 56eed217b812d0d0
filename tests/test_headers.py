"""Security headers on every page: CSP, framing, sniffing, referrer, HSTS."""

from __future__ import annotations

import re

import pytest

from tests.conftest import AuthActions

PUBLIC_PAGES = [
    "/",
    "/auth/login",
    "/auth/register",
    "/auth/reset_password_request",
    "/auth/reset_password/not-a-token",
    "/auth/confirm/not-a-token",
    "/user/john",
    "/no-such-page",
]
PRIVATE_PAGES = [
    "/",
    "/settings/profile",
    "/settings/password",
    "/settings/email",
    "/settings/delete",
    "/user/john",
]


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_secure_headers(response) -> None:
    csp = csp_directives(response)
    # Only our own files run: no inline code, no nonce, no other origin.
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"

    page = response.get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts, "every page loads its scripts"
    for tag in scripts:
        assert re.search(r'src="/(static|bootstrap)/', tag), f"not our file: {tag}"
    assert not re.search(r"<script\b[^>]*>[^<]", page), "inline script"
    # The policy would block inline handlers and style attributes.
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", page)
    assert not re.search(r"<[^>]+\sstyle\s*=", page)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_send_security_headers(client, make_user, path):
    make_user("john")
    response = client.get(path)
    assert response.status_code in (200, 400, 404)
    assert_secure_headers(response)
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path", PRIVATE_PAGES)
def test_logged_in_pages_send_security_headers(client, auth, make_user, path):
    make_user("john", email_confirmed_at=None)  # the banner shows too
    auth.login("john")
    response = client.get(path)
    assert response.status_code == 200
    assert "Please confirm your email" in response.get_data(as_text=True)
    assert_secure_headers(response)


def test_error_pages_send_security_headers(client, auth, user):
    auth.login(user)
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert_secure_headers(response)


def test_production_sends_hsts_over_https(production_app):
    client = production_app.test_client()
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
    response = client.get("/auth/login", base_url="http://localhost")
    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert re.search(r"max-age=\d{7,}", hsts)
    assert_secure_headers(response)


def test_production_login_over_https(production_app):
    client = production_app.test_client()
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
    client.environ_base["HTTP_REFERER"] = "https://localhost/auth/login"
    response = AuthActions(client).login("nobody")
    assert response.status_code == 200
    assert "Invalid username or password." in response.get_data(as_text=True)
