"""REGISTRATION_MODE: open, approval (a moderator approves) and invite."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.db_types import utcnow
from app.extensions import db
from app.models import User
from app.moderation_models import Invite
from app.services import accounts, invites
from app.services.errors import DomainError
from config import ConfigError, load_config
from tests.api_helpers import basic
from tests.conftest import AuthActions, csrf_from
from tests.factories import DEFAULT_PASSWORD
from tests.moderation_helpers import account, audit_rows, post_as, set_role


def usernames(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(User.username)))


def test_an_unknown_mode_is_a_configuration_error(app_env, monkeypatch):
    monkeypatch.setenv("REGISTRATION_MODE", "closed")
    with pytest.raises(ConfigError, match="REGISTRATION_MODE"):
        load_config("testing")


# --- approval -------------------------------------------------------------------


def test_approval_mode_waits_for_a_moderator(make_app, make_user):
    app = make_app(REGISTRATION_MODE="approval")
    make_user("mod")
    set_role(app, "mod", "moderator")
    client = app.test_client()
    auth = AuthActions(client)
    response = auth.register("newbie", "newbie@example.com")
    assert response.status_code == 302
    assert "approved by a moderator" in client.get("/auth/login").get_data(as_text=True)
    assert account(app, "newbie").pending

    waiting = auth.login("newbie")
    assert waiting.status_code == 403
    assert "waiting for approval" in waiting.get_data(as_text=True)
    assert client.get("/settings/profile").status_code == 302  # not logged in
    assert client.post("/api/tokens", headers=basic("newbie")).status_code == 403

    moderator = app.test_client()
    mod_auth = AuthActions(moderator)
    mod_auth.login("mod")
    assert "newbie" in moderator.get("/admin/users?pending=1").get_data(as_text=True)
    assert post_as(mod_auth, "/admin/users/newbie/approve").status_code == 302
    assert audit_rows(app) == [("mod", "approve", "newbie", "")]
    assert 'id="user-newbie"' not in moderator.get("/admin/users?pending=1").get_data(
        as_text=True
    )
    assert auth.login("newbie").status_code == 302


def test_approval_mode_applies_to_the_api(make_app):
    app = make_app(REGISTRATION_MODE="approval")
    client = app.test_client()
    answer = client.post(
        "/api/users",
        json={
            "username": "bot",
            "email": "bot@example.com",
            "password": DEFAULT_PASSWORD,
        },
    )
    assert answer.status_code == 202
    assert account(app, "bot").pending
    assert client.post("/api/tokens", headers=basic("bot")).status_code == 403


def test_open_mode_needs_no_approval(app, client, auth):
    auth.register("free", "free@example.com")
    assert not account(app, "free").pending
    assert auth.login("free").status_code == 302


# --- invites ----------------------------------------------------------------------


@pytest.fixture
def invite_app(make_app, make_user):
    app = make_app(REGISTRATION_MODE="invite")
    make_user("host")
    return app


def new_invite(app, max_uses: int = 1, days: int | None = 7) -> str:
    with app.app_context():
        host = db.session.scalar(sa.select(User).where(User.username == "host"))
        return invites.create(host, max_uses, days)[1]


def register_with(client, username: str, code: str | None):
    url = "/auth/register" + (f"?invite={code}" if code else "")
    page = client.get(url)
    # Without a usable code the page has no form: take a token elsewhere.
    token = csrf_from(page) or csrf_from(client.get("/auth/login"))
    data = {
        "csrf_token": token,
        "username": username,
        "email": f"{username}@example.com",
        "password": DEFAULT_PASSWORD,
        "password2": DEFAULT_PASSWORD,
        "invite": code or "",
    }
    return page, client.post("/auth/register", data=data)


def test_invite_mode_refuses_registration_without_a_code(invite_app):
    client = invite_app.test_client()
    page = client.get("/auth/register").get_data(as_text=True)
    assert "by invitation only" in page
    assert 'name="username"' not in page
    _page, response = register_with(client, "sneaky", None)
    assert response.status_code == 200
    assert "by invitation only" in response.get_data(as_text=True)
    assert "sneaky" not in usernames(invite_app)


def test_an_invite_link_registers_up_to_its_limit(invite_app):
    code = new_invite(invite_app, max_uses=2)
    client = invite_app.test_client()
    page, response = register_with(client, "first", code)
    # The code travels in a hidden field.
    assert f'type="hidden" value="{code}"' in page.get_data(as_text=True) or (
        f'value="{code}"' in page.get_data(as_text=True)
    )
    assert response.status_code == 302
    _page, response = register_with(invite_app.test_client(), "second", code)
    assert response.status_code == 302
    page, response = register_with(invite_app.test_client(), "third", code)
    assert "cannot be used" in page.get_data(as_text=True)
    assert response.status_code == 200
    assert "cannot be used" in response.get_data(as_text=True)
    assert {"first", "second"} <= usernames(invite_app)
    assert "third" not in usernames(invite_app)


def test_expired_and_revoked_invites_are_refused(invite_app):
    expired = new_invite(invite_app)
    revoked = new_invite(invite_app)
    with invite_app.app_context():
        db.session.execute(
            sa.update(Invite)
            .where(Invite.code_hash == invites.digest(expired))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        host = db.session.scalar(sa.select(User).where(User.username == "host"))
        revoked_id = db.session.scalar(
            sa.select(Invite.id).where(Invite.code_hash == invites.digest(revoked))
        )
        assert invites.revoke(host, revoked_id)
    for name, code in (("late", expired), ("nope", revoked), ("fake", "x" * 43)):
        _page, response = register_with(invite_app.test_client(), name, code)
        assert "cannot be used" in response.get_data(as_text=True), name
        assert name not in usernames(invite_app)


def test_the_api_obeys_invite_mode(invite_app):
    client = invite_app.test_client()
    body = {
        "username": "api1",
        "email": "api1@example.com",
        "password": DEFAULT_PASSWORD,
    }
    assert client.post("/api/users", json=body).status_code == 422
    code = new_invite(invite_app)
    assert client.post("/api/users", json={**body, "invite": code}).status_code == 202
    again = {**body, "username": "api2", "email": "api2@example.com", "invite": code}
    answer = client.post("/api/users", json=again)
    assert answer.status_code == 422
    assert "cannot be used" in str(answer.get_json())
    assert "api1" in usernames(invite_app)
    assert "api2" not in usernames(invite_app)


def test_two_registrations_racing_for_the_last_use(make_app, make_user):
    node_a = make_app(REGISTRATION_MODE="invite")
    node_b = make_app(REGISTRATION_MODE="invite")
    make_user("host")
    for round_ in range(4):
        code = new_invite(node_a)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def register(node, name, code=code, barrier=barrier, outcomes=outcomes):
            with node.test_request_context():
                barrier.wait()
                try:
                    accounts.register(
                        name, f"{name}@example.com", DEFAULT_PASSWORD, code
                    )
                    outcomes.append("ok")
                except DomainError as exc:
                    outcomes.append(exc.field or "")

        names = [f"racer{round_}a", f"racer{round_}b"]
        threads = [
            threading.Thread(target=register, args=(node, name))
            for node, name in zip((node_a, node_b), names, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["invite", "ok"], outcomes
        assert len(usernames(node_a) & set(names)) == 1
        with node_a.app_context():
            uses = db.session.scalar(
                sa.select(Invite.uses).where(Invite.code_hash == invites.digest(code))
            )
        assert uses == 1


def test_settings_invites_create_show_once_and_revoke(invite_app):
    client = invite_app.test_client()
    auth = AuthActions(client)
    auth.login("host")
    page = client.get("/settings/invites")
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    created = auth.post_form("/settings/invites", {"max_uses": "3", "days": "2"})
    text = created.get_data(as_text=True)
    assert "shown only once" in text
    assert "/auth/register?invite=" in text
    assert "0 of 3" in text
    with invite_app.app_context():
        invite_id = db.session.scalar(sa.select(Invite.id))
    assert "/auth/register?invite=" not in client.get("/settings/invites").get_data(
        as_text=True
    )
    auth.post_form(
        f"/settings/invites/{invite_id}/revoke", {}, page="/settings/invites"
    )
    assert "revoked" in client.get("/settings/invites").get_data(as_text=True)
    bad = auth.post_form("/settings/invites", {"max_uses": "1000"})
    assert "Number must be between" in bad.get_data(as_text=True)


def test_nobody_revokes_someone_elses_invite(invite_app, make_user):
    code = new_invite(invite_app)
    make_user("other")
    client = invite_app.test_client()
    auth = AuthActions(client)
    auth.login("other")
    with invite_app.app_context():
        invite_id = db.session.scalar(sa.select(Invite.id))
    auth.post_form(
        f"/settings/invites/{invite_id}/revoke", {}, page="/settings/invites"
    )
    with invite_app.app_context():
        assert invites.is_usable(code)


def test_settings_invites_is_404_outside_invite_mode(app, client, auth, user):
    auth.login()
    assert client.get("/settings/invites").status_code == 404
    assert "Invites" not in client.get("/settings/profile").get_data(as_text=True)
