"""Email confirmation links: single use, expiring, tamper-proof; resending."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner

from app.extensions import db
from app.models import User
from app.services import tokens
from tests.mailbox import html_body, link_in, mail_to, outbox


def confirmed(app, username: str = "john") -> bool:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username_key == username))
        return user.email_confirmed_at is not None


def registered(auth, app) -> str:
    auth.register("john", "john@example.com")
    (message,) = mail_to(app, "john@example.com")
    assert link_in(message) in html_body(message)
    return link_in(message)


def test_confirmation_link_confirms_the_address(client, auth, app):
    link = registered(auth, app)
    assert not confirmed(app)
    response = client.get(link)
    assert response.status_code == 302
    assert "your email address is confirmed" in client.get("/").get_data(as_text=True)
    assert confirmed(app)


def test_second_use_says_already_confirmed(client, auth, app):
    link = registered(auth, app)
    client.get(link)
    client.get("/")  # read the first flash
    response = client.get(link)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "already confirmed" in page


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: "x" + t,
        lambda t: t.split(".")[0],
        lambda t: "not-a-token",
    ],
)
def test_tampered_link_shows_a_clear_page(client, auth, app, mangle):
    link = registered(auth, app)
    token = link.rsplit("/", 1)[1]
    response = client.get(f"/auth/confirm/{mangle(token)}")
    assert response.status_code == 400
    assert "This link is invalid or has already been used." in response.get_data(
        as_text=True
    )
    assert not confirmed(app)


def test_link_signed_with_another_key_is_refused(client, app, make_user):
    user = make_user("john", email_confirmed_at=None)
    with app.test_request_context():
        app.config["SECRET_KEY"] = "some other key"
        token = tokens.make_confirm_token(user)
        app.config["SECRET_KEY"] = "test-secret-key-not-for-production"
    assert client.get(f"/auth/confirm/{token}").status_code == 400
    assert not confirmed(app)


def make_old_token(app, monkeypatch, user, age: int, **kwargs) -> str:
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: int(time.time()) - age
    )
    with app.test_request_context():
        token = tokens.make_confirm_token(user, **kwargs)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    return token


def test_expired_link_says_so(client, app, make_user, monkeypatch):
    user = make_user("john", email_confirmed_at=None)
    token = make_old_token(app, monkeypatch, user, age=2 * 86400 + 60)
    response = client.get(f"/auth/confirm/{token}")
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)
    assert not confirmed(app)


def test_link_younger_than_two_days_still_works(client, app, make_user, monkeypatch):
    user = make_user("john", email_confirmed_at=None)
    token = make_old_token(app, monkeypatch, user, age=2 * 86400 - 60)
    assert client.get(f"/auth/confirm/{token}").status_code == 302
    assert confirmed(app)


def test_link_for_deleted_user_is_refused(client, auth, app):
    link = registered(auth, app)
    with app.app_context():
        db.session.execute(sa.delete(User))
        db.session.commit()
    assert client.get(link).status_code == 400


def test_banner_resends_a_working_link(client, auth, app, make_user):
    make_user("john", email_confirmed_at=None)
    auth.login("john")
    response = auth.post_form(
        "/auth/resend_confirmation", {"next": "/explore"}, page="/"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/explore"
    (message,) = mail_to(app, "john@example.com")
    assert "We sent a new confirmation link" in client.get("/").get_data(as_text=True)
    client.get(link_in(message))
    assert confirmed(app)
    assert "Please confirm your email" not in client.get("/").get_data(as_text=True)


def test_resend_for_confirmed_user_sends_nothing(client, auth, app, user):
    auth.login(user)
    assert "Please confirm your email" not in client.get("/").get_data(as_text=True)
    auth.post_form("/auth/resend_confirmation", {}, page="/settings/profile")
    assert outbox(app) == []
    assert "already confirmed" in client.get("/").get_data(as_text=True)


def test_resend_is_post_only_with_csrf(client, auth, make_user):
    make_user("john", email_confirmed_at=None)
    auth.login("john")
    assert client.get("/auth/resend_confirmation").status_code == 405
    assert client.post("/auth/resend_confirmation").status_code == 400


def test_resend_ignores_offsite_next(client, auth, make_user):
    make_user("john", email_confirmed_at=None)
    auth.login("john")
    response = auth.post_form(
        "/auth/resend_confirmation", {"next": "//evil.example"}, page="/"
    )
    assert response.headers["Location"] == "/"


def test_settings_show_whether_the_address_is_confirmed(client, auth, make_user):
    make_user("john", email_confirmed_at=None)
    auth.login("john")
    assert "Not confirmed" in client.get("/settings/profile").get_data(as_text=True)
    assert "Not confirmed" in client.get("/settings/email").get_data(as_text=True)


def test_confirmed_user_settings_say_confirmed(client, auth, user):
    auth.login(user)
    page = client.get("/settings/profile").get_data(as_text=True)
    assert "Confirmed" in page
    assert "Not confirmed" not in page
