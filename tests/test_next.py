"""Only same-site relative ``next`` targets are followed after login."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from app.web.security import safe_next

HOSTILE = [
    "//evil.example",
    "////evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "http:evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,hi",
    "/\t/evil.example",
    "evil.example",
    "",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_next_is_ignored(auth, user, target):
    response = auth.login(user, next=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE)
def test_safe_next_rejects(target):
    assert safe_next(target) is None


@pytest.mark.parametrize(
    "target", ["/explore", "/user/john?tab=posts", "/settings/email", "/explore#top"]
)
def test_same_site_next_is_honoured(auth, user, target):
    response = auth.login(user, next=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == target


def test_next_from_login_required_round_trip(client, auth, user):
    response = client.get("/settings/password")
    login_url = response.headers["Location"]
    assert login_url == "/auth/login?next=%2Fsettings%2Fpassword"
    response = auth.login(user, next="%2Fsettings%2Fpassword")
    assert response.headers["Location"] == "/settings/password"


def test_logged_in_user_with_hostile_next_stays_on_site(client, auth, user):
    auth.login(user)
    response = client.get("/auth/login?next=//evil.example")
    assert response.headers["Location"] == "/"
