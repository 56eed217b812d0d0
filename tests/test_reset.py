"""Password reset: no enumeration, one-hour single-use links, sessions end."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import template_rendered
from itsdangerous import TimestampSigner

from app.db_types import utcnow
from app.extensions import db
from app.models import ApiToken, User
from app.services import tokens
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD
from tests.mailbox import link_in, mail_to, outbox

NEW = "a brand new passphrase"
SENT = "If an account uses that address, we have sent it a link"


def request_reset(auth, email: str):
    return auth.post_form("/auth/reset_password_request", {"email": email})


def reset_link(auth, app, email: str = "john@example.com") -> str:
    request_reset(auth, email)
    resets = [m for m in mail_to(app, email) if "Reset" in m.subject]
    assert resets, "no reset mail was sent"
    return link_in(resets[-1])


def test_request_page_has_email_field(client):
    page = client.get("/auth/reset_password_request").get_data(as_text=True)
    assert 'name="email"' in page
    assert 'name="csrf_token"' in page


@pytest.mark.parametrize("other", ["nobody@example.com", "not-an-address", "x@y"])
def test_unknown_address_gets_the_same_answer(client, auth, app, user, other):
    known = request_reset(auth, "John@Example.com")
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = request_reset(auth, other)
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert SENT in known_page
    assert SENT in unknown_page
    assert [m.to for m in outbox(app)] == [["john@example.com"]]


@pytest.mark.parametrize("email", ["john@example.com", "nobody@example.com", "bad"])
def test_both_paths_build_the_reset_mail(client, auth, app, user, email):
    """Equal work whether or not the address is known: the mail is rendered."""
    token = auth.csrf_token("/auth/reset_password_request")
    rendered: list[str] = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    with template_rendered.connected_to(record, app):
        client.post(
            "/auth/reset_password_request", data={"csrf_token": token, "email": email}
        )
    assert rendered == ["email/reset_password.txt", "email/reset_password.html"]


def test_unknown_address_takes_similar_time(client, auth, app, user):
    token = auth.csrf_token("/auth/reset_password_request")
    samples: dict[str, list[float]] = {"john@example.com": [], "nobody@example.com": []}

    def post(email: str) -> float:
        started = time.perf_counter()
        response = client.post(
            "/auth/reset_password_request", data={"csrf_token": token, "email": email}
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 302
        return elapsed

    post("john@example.com")  # warm up templates and the hash of the dummy
    post("nobody@example.com")
    # Interleaved so load from other processes hits both alike.
    for _ in range(15):
        for email, times in samples.items():
            times.append(post(email))
    known = statistics.median(samples["john@example.com"])
    unknown = statistics.median(samples["nobody@example.com"])
    assert unknown < known * 3
    assert known < unknown * 3


def test_reset_link_sets_new_password(client, auth, app, user):
    link = reset_link(auth, app)
    page = client.get(link)
    assert page.status_code == 200
    assert b'name="password2"' in page.data
    response = auth.post_form(link, {"password": NEW, "password2": NEW})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert "Your password has been reset" in client.get("/auth/login").get_data(
        as_text=True
    )
    assert auth.login("john", DEFAULT_PASSWORD).status_code == 200
    assert auth.login("john", NEW).status_code == 302
    assert any("password was changed" in m.subject for m in outbox(app))


def test_reset_link_works_once(client, auth, app, user):
    link = reset_link(auth, app)
    auth.post_form(link, {"password": NEW, "password2": NEW})
    again = client.get(link)
    assert again.status_code == 400
    assert "invalid or has already been used" in again.get_data(as_text=True)
    assert 'href="/auth/reset_password_request"' in again.get_data(as_text=True)
    post = client.post(link, data={"password": "x" * 20, "password2": "x" * 20})
    assert post.status_code == 400
    with app.app_context():
        assert db.session.get(User, user.id).check_password(NEW)


def test_old_links_die_when_a_newer_one_is_used(auth, app, user, client):
    first = reset_link(auth, app)
    second = reset_link(auth, app)
    auth.post_form(second, {"password": NEW, "password2": NEW})
    assert client.get(first).status_code == 400


def test_expired_link_says_so(client, app, user, monkeypatch):
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3660
    )
    with app.test_request_context():
        token = tokens.make_reset_token(user)
    monkeypatch.undo()
    response = client.get(f"/auth/reset_password/{token}")
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["garbage", "eyJ1aWQiOjF9.Zz.abc"])
def test_tampered_link_is_a_clear_page(client, user, token):
    response = client.get(f"/auth/reset_password/{token}")
    assert response.status_code == 400
    assert "This link cannot be used" in response.get_data(as_text=True)


def test_confirm_token_is_not_a_reset_token(client, app, user):
    with app.test_request_context():
        token = tokens.make_confirm_token(user)
    assert client.get(f"/auth/reset_password/{token}").status_code == 400


@pytest.mark.parametrize(
    ("password", "password2", "message"),
    [
        ("password", "password", "too common"),
        ("short", "short", "Passwords are 8 to 128"),
        ("john@example.com", "john@example.com", "must differ"),
        (NEW, NEW + "!", "do not match"),
    ],
)
def test_new_password_follows_the_rules(auth, app, user, password, password2, message):
    link = reset_link(auth, app)
    response = auth.post_form(link, {"password": password, "password2": password2})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).check_password(DEFAULT_PASSWORD)


def test_reset_ends_every_session_and_remember_cookie(app, user):
    victim = app.test_client()
    AuthActions(victim).login(user, remember=True)
    remember = victim.get_cookie("remember_token").value
    attacker_copy = app.test_client()
    attacker_copy.set_cookie("remember_token", remember)
    assert "Log out" in attacker_copy.get("/").get_data(as_text=True)

    helper = AuthActions(app.test_client())
    link = reset_link(helper, app)
    helper.post_form(link, {"password": NEW, "password2": NEW})

    assert "Log out" not in victim.get("/").get_data(as_text=True)
    replay = app.test_client()
    replay.set_cookie("remember_token", remember)
    assert "Log out" not in replay.get("/").get_data(as_text=True)
    assert victim.get("/settings/password").status_code == 302


def test_reset_revokes_api_tokens(auth, app, user):
    with app.app_context():
        db.session.add(
            ApiToken(
                token_hash="a" * 64,
                user_id=user.id,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        db.session.commit()
    link = reset_link(auth, app)
    auth.post_form(link, {"password": NEW, "password2": NEW})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_reset_confirms_an_unconfirmed_address(auth, app, make_user):
    make_user("john", email_confirmed_at=None)
    link = reset_link(auth, app)
    auth.post_form(link, {"password": NEW, "password2": NEW})
    with app.app_context():
        assert db.session.scalar(sa.select(User.email_confirmed_at)) is not None
