"""The sessions page: every login of the account, and logging them out."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import LoginSession
from app.services.devices import describe
from tests.conftest import AuthActions
from tests.factories import UserFactory

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
REVOKE_RE = re.compile(r'action="(/settings/sessions/([^/"]+)/revoke)"')


def logged_in(client) -> bool:
    return "Log out" in client.get("/").get_data(as_text=True)


def browser(app, user_agent: str, address: str):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    client.environ_base["REMOTE_ADDR"] = address
    return client, AuthActions(client)


def records(app) -> list[LoginSession]:
    with app.app_context():
        return list(db.session.scalars(sa.select(LoginSession)))


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (FIREFOX, "Firefox on Linux"),
        (IPHONE, "Mobile Safari on iOS"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
            "like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome on Windows",
        ),
        ("", "Unknown device"),
        ("Werkzeug/3.1", "Unknown device"),
    ],
)
def test_devices_get_short_readable_names(user_agent, name):
    assert describe(user_agent) == name


def test_the_page_lists_every_login_and_marks_this_one(app, user):
    laptop, laptop_auth = browser(app, FIREFOX, "192.0.2.10")
    phone, phone_auth = browser(app, IPHONE, "198.51.100.7")
    laptop_auth.login(user)
    phone_auth.login(user)
    response = laptop.get("/settings/sessions")
    assert "no-store" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    assert "Firefox on Linux" in page
    assert "Mobile Safari on iOS" in page
    assert "192.0.2.10" in page
    assert "198.51.100.7" in page
    assert page.count("This device") == 1
    assert page.index("This device") < page.index("Mobile Safari on iOS")
    assert "<time datetime=" in page
    # Only the other login has a revoke button, named by its public id.
    ((url, public_id),) = REVOKE_RE.findall(page)
    tokens = [r.token_hash for r in records(app)]
    assert public_id not in tokens
    assert not public_id.isdigit()


def test_revoking_another_session_logs_it_out(app, user):
    laptop, laptop_auth = browser(app, FIREFOX, "192.0.2.10")
    phone, phone_auth = browser(app, IPHONE, "198.51.100.7")
    laptop_auth.login(user)
    phone_auth.login(user, remember=True)
    ((url, _id),) = REVOKE_RE.findall(laptop.get("/settings/sessions").text)
    done = laptop_auth.post_form(url, {}, page="/settings/sessions")
    assert done.status_code == 302
    assert "That session has been logged out." in laptop.get("/settings/sessions").text
    assert not logged_in(phone)
    assert phone.get("/settings/profile").status_code == 302
    assert logged_in(laptop)
    assert len(records(app)) == 1


def test_someone_elses_session_is_404_and_stays(app, user, make_user):
    make_user("susan")
    mine, my_auth = browser(app, FIREFOX, "192.0.2.10")
    hers, her_auth = browser(app, IPHONE, "198.51.100.7")
    my_auth.login(user)
    her_auth.login("susan")
    with app.app_context():
        her_id = db.session.scalar(
            sa.select(LoginSession.public_id).where(LoginSession.user_id != user.id)
        )
    tried = my_auth.post_form(
        f"/settings/sessions/{her_id}/revoke", {}, page="/settings/sessions"
    )
    assert tried.status_code == 404
    unknown = my_auth.post_form(
        "/settings/sessions/no-such-id/revoke", {}, page="/settings/sessions"
    )
    assert unknown.status_code == 404
    assert logged_in(hers)
    assert len(records(app)) == 2


def test_log_out_all_other_sessions_keeps_this_one(app, user):
    clients = [browser(app, FIREFOX, f"192.0.2.{n}") for n in range(1, 4)]
    for _client, auth in clients:
        auth.login(user)
    here, here_auth = clients[0]
    page = here.get("/settings/sessions").text
    assert "Log out all other sessions" in page
    here_auth.post_form(
        "/settings/sessions/revoke_others", {}, page="/settings/sessions"
    )
    assert logged_in(here)
    assert not any(logged_in(other) for other, _auth in clients[1:])
    assert "This is your only session." in here.get("/settings/sessions").text


def test_revoking_this_session_by_its_id_is_not_a_silent_logout(app, user):
    here, auth = browser(app, FIREFOX, "192.0.2.1")
    auth.login(user)
    with app.app_context():
        own = db.session.scalar(sa.select(LoginSession.public_id))
    auth.post_form(f"/settings/sessions/{own}/revoke", {}, page="/settings/sessions")
    assert logged_in(here)


def test_a_revoked_session_is_logged_out_on_every_node(make_app):
    node_a = make_app()
    node_b = make_app()  # same database, its own process state
    with node_a.app_context():
        UserFactory.create(username="john")
    on_a, auth_a = browser(node_a, FIREFOX, "192.0.2.1")
    on_b, auth_b = browser(node_b, IPHONE, "192.0.2.2")
    auth_a.login("john")
    auth_b.login("john", remember=True)
    assert logged_in(on_b)
    ((url, _id),) = REVOKE_RE.findall(on_a.get("/settings/sessions").text)
    auth_a.post_form(url, {}, page="/settings/sessions")
    assert not logged_in(on_b)
    assert on_b.get("/settings/sessions").status_code == 302


def test_the_sessions_page_needs_a_login(client):
    response = client.get("/settings/sessions")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_revoke_forms_need_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED="true")
    with app.app_context():
        UserFactory.create(username="john")
    here, here_auth = browser(app, FIREFOX, "192.0.2.1")
    there, there_auth = browser(app, IPHONE, "192.0.2.2")
    here_auth.login("john")
    there_auth.login("john")
    ((url, _id),) = REVOKE_RE.findall(here.get("/settings/sessions").text)
    assert here.post(url).status_code == 400
    assert here.post("/settings/sessions/revoke_others").status_code == 400
    assert logged_in(there)
    assert len(records(app)) == 2
