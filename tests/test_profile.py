"""Profiles, profile settings and avatars."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.db_types import utcnow
from app.extensions import db
from app.models import User


def test_profile_shows_user_details(client, make_user):
    make_user("susan", about_me="Birdwatcher & baker")
    page = client.get("/user/susan").get_data(as_text=True)
    assert "<h1" in page
    assert "susan" in page
    assert "Birdwatcher &amp; baker" in page
    assert "Member since" in page
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"', page)
    assert 'alt="Avatar of susan"' in page


def test_profile_lookup_ignores_case(client, make_user):
    make_user("Susan")
    assert client.get("/user/susan").status_code == 200
    assert client.get("/user/SUSAN").status_code == 200


def test_unknown_profile_is_404(client):
    response = client.get("/user/nobody")
    assert response.status_code == 404
    assert b"There is no user called nobody" in response.data


def test_about_me_is_escaped(client, make_user):
    make_user("mallory", about_me="<script>alert('x')</script>")
    page = client.get("/user/mallory").get_data(as_text=True)
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page


def test_gravatar_url_uses_sha256_of_trimmed_lowercased_email(app, make_user, client):
    make_user("john", email="john@example.com")
    expected_hash = hashlib.sha256(b"john@example.com").hexdigest()
    assert expected_hash == (
        "855f96e983f1f8e8be944692b6f719fd54329826cb62e98015efee8e2e071dd4"
    )
    page = client.get("/user/john").get_data(as_text=True)
    assert (
        f"https://www.gravatar.com/avatar/{expected_hash}?d=identicon&amp;s=128" in page
    )


def test_local_avatars_make_no_third_party_request(make_app, make_user):
    app = make_app(AVATAR_PROVIDER="local")
    with app.app_context():
        db.session.add(
            User(username="john", email="john@example.com", password_hash="x")
        )
        db.session.commit()
    client = app.test_client()
    page = client.get("/user/john").get_data(as_text=True)
    assert "gravatar" not in page
    match = re.search(r'src="(/avatar/[0-9a-f]{32}\.svg\?s=128)"', page)
    assert match, page
    svg = client.get(match.group(1).replace("&amp;", "&"))
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"
    assert svg.data.startswith(b"<svg")
    # Deterministic: the same user gets the same picture every time.
    assert client.get(match.group(1)).data == svg.data
    assert "gravatar" not in svg.headers.get("Content-Security-Policy", "")


@pytest.mark.parametrize("digest", ["xyz", "0" * 31, "../../etc/passwd"])
def test_local_avatar_rejects_malformed_digests(client, digest):
    assert client.get(f"/avatar/{digest}.svg").status_code == 404


def test_settings_profile_requires_login(client):
    response = client.get("/settings/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_edit_profile(client, auth, user, app):
    auth.login(user)
    response = auth.post_form(
        "/settings/profile", {"username": "Johnny", "about_me": "Hi!\nSecond line"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/user/Johnny"
    page = client.get("/user/johnny").get_data(as_text=True)
    assert "Hi!\nSecond line" in page
    with app.app_context():
        row = db.session.scalar(sa.select(User).where(User.id == user.id))
        assert (row.username, row.username_key) == ("Johnny", "johnny")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "ab"}, "3 to 32 characters"),
        ({"username": "bad name!"}, "letters, digits and underscores"),
        ({"username": "SUSAN"}, "That username is taken"),
        ({"about_me": "x" * 281}, "at most 280 characters"),
        ({"about_me": "nul\x00byte"}, "control characters"),
    ],
)
def test_edit_profile_rejects_bad_input(
    client, auth, user, make_user, app, data, message
):
    make_user("susan")
    auth.login(user)
    form = {"username": "john", "about_me": "", **data}
    response = auth.post_form("/settings/profile", form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(User, user.id)
        assert (row.username, row.about_me) == ("john", "")


def test_last_seen_is_updated_at_most_once_a_minute(client, auth, user, app):
    auth.login(user)
    with app.app_context():
        row = db.session.get(User, user.id)
        old = utcnow() - timedelta(minutes=5)
        row.last_seen = old
        db.session.commit()
    client.get("/")
    with app.app_context():
        first = db.session.get(User, user.id).last_seen
    assert first > old + timedelta(minutes=4)
    client.get("/")
    with app.app_context():
        assert db.session.get(User, user.id).last_seen == first
