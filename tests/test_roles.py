"""Roles: the command line, the one permission check, who acts on whom."""

from __future__ import annotations

import pytest

from tests.moderation_helpers import account, audit_rows, post_as, set_role

ADMIN_GETS = ["/admin", "/admin/reports", "/admin/users", "/admin/audit"]


def test_promote_and_demote_from_the_command_line(app, runner, make_user):
    make_user("mia")
    result = runner.invoke(args=["users", "promote", "mia", "--role", "moderator"])
    assert result.exit_code == 0, result.output
    assert "mia is now a moderator." in result.output
    assert account(app, "mia").role == "moderator"
    assert not account(app, "mia").is_admin
    result = runner.invoke(args=["users", "promote", "mia", "--role", "admin"])
    assert "mia is now an administrator." in result.output
    assert account(app, "mia").role == "admin"
    assert account(app, "mia").is_admin
    result = runner.invoke(args=["users", "demote", "mia"])
    assert result.exit_code == 0, result.output
    assert "mia is no longer an administrator." in result.output
    assert account(app, "mia").role == "user"
    # Operators' role changes are in the audit log too.
    assert [row[1] for row in audit_rows(app)] == [
        "role_moderator",
        "role_admin",
        "role_user",
    ]


def test_promote_refuses_an_unknown_role_and_user(runner, make_user):
    make_user("mia")
    result = runner.invoke(args=["users", "promote", "mia", "--role", "king"])
    assert result.exit_code == 2
    result = runner.invoke(args=["users", "demote", "nobody"])
    assert result.exit_code == 1
    assert "There is no user called nobody." in result.output


@pytest.mark.parametrize("url", ADMIN_GETS)
def test_admin_pages_send_anonymous_readers_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ADMIN_GETS)
def test_admin_pages_are_403_for_users(client, auth, user, url):
    auth.login()
    response = client.get(url)
    assert response.status_code == 403
    assert "Only moderators" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["moderator", "admin"])
@pytest.mark.parametrize("url", ADMIN_GETS)
def test_admin_pages_open_to_moderators_and_admins_and_are_not_stored(
    app, client, auth, user, role, url
):
    set_role(app, "john", role)
    auth.login()
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_the_nav_shows_moderation_only_to_moderators(app, client, auth, user):
    auth.login()
    assert "Moderation" not in client.get("/").get_data(as_text=True)
    set_role(app, "john", "moderator")
    assert 'href="/admin"' in client.get("/").get_data(as_text=True)


def test_a_moderator_cannot_suspend_a_moderator_or_an_admin(
    app, client, auth, make_user
):
    for name, role in (("mod", "moderator"), ("mod2", "moderator"), ("boss", "admin")):
        make_user(name)
        set_role(app, name, role)
    make_user("plain")
    auth.login("mod")
    for target in ("mod2", "boss", "mod"):
        response = post_as(auth, f"/admin/users/{target}/suspend", {"reason": "x"})
        assert response.status_code == 403, target
        assert not account(app, target).is_suspended
    response = post_as(auth, "/admin/users/plain/suspend", {"reason": "spam"})
    assert response.status_code == 302
    assert account(app, "plain").is_suspended
    assert audit_rows(app) == [("mod", "suspend", "plain", "spam")]


def test_an_admin_can_suspend_a_moderator_but_not_themselves(
    app, client, auth, make_user
):
    make_user("boss")
    set_role(app, "boss", "admin")
    make_user("mod")
    set_role(app, "mod", "moderator")
    auth.login("boss")
    assert post_as(auth, "/admin/users/boss/suspend").status_code == 403
    assert post_as(auth, "/admin/users/mod/suspend").status_code == 302
    assert account(app, "mod").is_suspended
    assert post_as(auth, "/admin/users/mod/unsuspend").status_code == 302
    assert not account(app, "mod").is_suspended
    assert [row[1] for row in audit_rows(app)] == ["suspend", "unsuspend"]
