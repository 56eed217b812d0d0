"""Blocks and mutes: what each side can still do and see, through the pages
and the API alike, on SQLite and PostgreSQL.

alice blocks (or mutes) bob; carol is a bystander.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Message, Notification, Post, User, blocks, follows, mutes
from app.services import blocks as blocking
from app.services import likes, notifications, posts, social
from app.services.errors import Forbidden
from tests.api_helpers import bearer, obtain_token
from tests.conftest import AuthActions
from tests.factories import UserFactory


def get_user(username: str) -> User:
    found = db.session.scalar(sa.select(User).where(User.username == username))
    assert found is not None
    return found


def post_id_of(body: str) -> int:
    found = db.session.scalar(sa.select(Post.id).where(Post.body == body))
    assert found is not None
    return found


@pytest.fixture
def people(app, make_user) -> dict[str, int]:
    return {name: make_user(name).id for name in ("alice", "bob", "carol")}


@pytest.fixture
def nodes(make_app):
    """Two apps on one database (two processes or nodes), each with its own
    connections and caches; built before the people (each build empties a
    shared PostgreSQL database)."""
    first, second = make_app(), make_app()
    with first.app_context():
        for name in ("alice", "bob", "carol"):
            UserFactory(username=name)
    return first, second


def browser(app, username: str) -> AuthActions:
    actions = AuthActions(app.test_client())
    actions.login(username)
    return actions


def text(client: FlaskClient, path: str, **kwargs: Any) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def block(app, blocker: str, blocked: str) -> None:
    with app.app_context():
        blocking.block(get_user(blocker), get_user(blocked))


def mute(app, muter: str, muted: str) -> None:
    with app.app_context():
        blocking.mute(get_user(muter), get_user(muted))


def publish(app, author: str, body: str, reply_to: str | None = None) -> int:
    with app.app_context():
        parent = post_id_of(reply_to) if reply_to else None
        return posts.publish(get_user(author), body, in_reply_to=parent).id


def count(app, statement: sa.Select[Any]) -> int:
    with app.app_context():
        return db.session.scalar(statement) or 0


def rows(app, table: sa.Table) -> int:
    return count(app, sa.select(sa.func.count()).select_from(table))


# --- the block itself ---------------------------------------------------------


def test_the_block_button_removes_follows_both_ways(app, people):
    with app.app_context():
        alice, bob = get_user("alice"), get_user("bob")
        social.follow(alice, bob)
        social.follow(bob, alice)
    alice = browser(app, "alice")
    response = alice.post_form("/user/bob/block", {}, page="/user/bob")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/user/bob")
    assert rows(app, follows) == 0
    assert rows(app, blocks) == 1
    page = text(alice.client, "/user/bob")
    assert "You blocked bob." in page
    assert "Unblock" in page
    assert "follow-form" not in page


def test_blocking_twice_and_unblocking_twice_change_nothing_more(app, people):
    alice = browser(app, "alice")
    for _ in range(2):
        assert alice.post_form("/user/bob/block", {}).status_code == 302
    assert rows(app, blocks) == 1
    for _ in range(2):
        assert alice.post_form("/user/bob/unblock", {}).status_code == 302
    assert rows(app, blocks) == 0


def test_a_script_asking_for_json_gets_204(app, people):
    alice = browser(app, "alice")
    response = alice.post_form(
        "/user/bob/mute", {}, page="/user/bob", headers={"Accept": "application/json"}
    )
    assert response.status_code == 204
    assert rows(app, mutes) == 1


def test_blocking_or_muting_yourself_is_refused(app, people):
    alice = browser(app, "alice")
    response = alice.post_form("/user/alice/block", {}, follow_redirects=True)
    assert "You cannot block yourself." in response.get_data(as_text=True)
    response = alice.post_form("/user/alice/mute", {}, follow_redirects=True)
    assert "You cannot mute yourself." in response.get_data(as_text=True)
    assert rows(app, blocks) == 0
    assert rows(app, mutes) == 0


def test_an_unknown_user_is_404(app, people):
    alice = browser(app, "alice")
    for action in ("block", "unblock", "mute", "unmute"):
        assert alice.post_form(f"/user/nobody/{action}", {}).status_code == 404


@pytest.mark.parametrize("action", ["block", "unblock", "mute", "unmute"])
def test_the_forms_need_a_csrf_token_and_a_login(app, people, action):
    alice = browser(app, "alice")
    assert alice.client.post(f"/user/bob/{action}").status_code == 400
    assert (
        alice.client.post(
            f"/user/bob/{action}", data={"csrf_token": "forged"}
        ).status_code
        == 400
    )
    anonymous = app.test_client().post(f"/user/bob/{action}")
    assert anonymous.status_code in (302, 400)
    assert rows(app, blocks) == 0
    assert rows(app, mutes) == 0


def test_the_block_list_is_only_ever_your_own(app, people):
    block(app, "alice", "bob")
    mute(app, "alice", "carol")
    page = text(browser(app, "alice").client, "/settings/blocks")
    assert "blocked-entry" in page
    assert ">bob</a>" in page
    assert "muted-entry" in page
    assert ">carol</a>" in page
    carol = text(browser(app, "carol").client, "/settings/blocks")
    assert ">bob</a>" not in carol
    assert "You have not blocked anyone." in carol
    assert "You have not muted anyone." in carol
    # No URL names another account's list; logged out, it is a login.
    assert app.test_client().get("/settings/blocks").status_code == 302
    assert browser(app, "carol").client.get("/settings/blocks/alice").status_code == 404


def test_undo_from_the_settings_page_comes_back_to_it(app, people):
    block(app, "alice", "bob")
    alice = browser(app, "alice")
    response = alice.post_form(
        "/user/bob/unblock", {"next": "/settings/blocks"}, page="/settings/blocks"
    )
    assert response.headers["Location"].endswith("/settings/blocks")
    assert "You have not blocked anyone." in text(alice.client, "/settings/blocks")


def test_two_blocks_at_once_on_two_connections_leave_one_row(nodes):
    first, second = nodes
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(application) -> None:
        try:
            with application.app_context():
                alice, bob = get_user("alice"), get_user("bob")
                db.session.rollback()  # start the transaction after the barrier
                barrier.wait()
                blocking.block(alice, bob)
                blocking.mute(alice, bob)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert rows(first, blocks) == 1
    assert rows(first, mutes) == 1


# --- what the blocked account can no longer do --------------------------------


REFUSED = str(blocking.REFUSED)


def test_the_blocked_cannot_follow_the_blocker_page_or_api(app, people):
    block(app, "alice", "bob")
    bob = browser(app, "bob")
    response = bob.post_form("/follow/alice", {}, page="/user/alice")
    assert response.status_code == 403
    assert REFUSED in response.get_data(as_text=True)
    token = obtain_token(app.test_client(), "bob")
    api = app.test_client().put(
        f"/api/me/following/{people['alice']}", headers=bearer(token)
    )
    assert api.status_code == 403
    assert api.get_json()["message"] == REFUSED
    # Nor the other way round: the blocker must unblock first.
    alice = browser(app, "alice")
    assert alice.post_form("/follow/bob", {}, page="/user/bob").status_code == 403
    assert rows(app, follows) == 0


def test_the_blocked_cannot_reply_to_an_old_post_page_or_api(app, people):
    old = publish(app, "alice", "written before the block")
    block(app, "alice", "bob")
    bob = browser(app, "bob")
    response = bob.post_form(
        f"/post/{old}/reply", {"body": "sneaky"}, page=f"/post/{old}"
    )
    assert response.status_code == 403
    token = obtain_token(app.test_client(), "bob")
    api = app.test_client().post(
        "/api/posts",
        json={"body": "sneaky too", "in_reply_to": old},
        headers=bearer(token),
    )
    assert api.status_code == 403
    assert count(app, sa.select(Post.reply_count).where(Post.id == old)) == 0
    assert count(app, sa.select(sa.func.count()).select_from(Notification)) == 0


def test_the_blocked_cannot_like_page_or_api(app, people):
    post = publish(app, "alice", "likeable")
    block(app, "alice", "bob")
    bob = browser(app, "bob")
    assert (
        bob.post_form(f"/post/{post}/like", {}, page=f"/post/{post}").status_code == 403
    )
    token = obtain_token(app.test_client(), "bob")
    api = app.test_client().put(f"/api/posts/{post}/like", headers=bearer(token))
    assert api.status_code == 403
    assert count(app, sa.select(Post.like_count).where(Post.id == post)) == 0


def test_the_blocked_cannot_message_page_or_api(app, people):
    block(app, "alice", "bob")
    bob = browser(app, "bob")
    response = bob.post_form("/messages/alice", {"body": "hello?"})
    assert response.status_code == 403
    token = obtain_token(app.test_client(), "bob")
    api = app.test_client().post(
        f"/api/messages/{people['alice']}",
        json={"body": "hello?"},
        headers=bearer(token),
    )
    assert api.status_code == 403
    assert count(app, sa.select(sa.func.count()).select_from(Message)) == 0


def test_a_mention_across_a_block_notifies_nobody_but_others_still_are(app, people):
    block(app, "alice", "bob")
    publish(app, "bob", "hey @alice and @carol")
    publish(app, "alice", "and @bob, from my side")
    with app.app_context():
        recipients = db.session.scalars(sa.select(Notification.recipient_id)).all()
    assert recipients == [people["carol"]]


def test_the_blocker_cannot_reach_the_blocked_either(app, people):
    post = publish(app, "bob", "bob speaks")
    block(app, "alice", "bob")
    with app.app_context(), pytest.raises(Forbidden):
        likes.like(get_user("alice"), post)


# --- what the blocker no longer sees ------------------------------------------


@pytest.fixture
def blocked_world(app, people) -> dict[str, int]:
    """bob posts, replies in carol's thread, likes carol's post and mentions
    and follows alice; then alice blocks him."""
    ids = {
        "carol": publish(app, "carol", "carol starts #birds"),
        "bob": publish(app, "bob", "bob sings #birds about @alice"),
    }
    ids["reply"] = publish(
        app, "bob", "bob replies in the thread", reply_to="carol starts #birds"
    )
    with app.app_context():
        likes.like(get_user("bob"), ids["carol"])
        likes.like(get_user("alice"), ids["carol"])
        social.follow(get_user("alice"), get_user("bob"))
        social.follow(get_user("bob"), get_user("alice"))
    return ids


HIDDEN = ("bob sings", "bob replies in the thread")


def assert_hidden(page: str) -> None:
    for body in HIDDEN:
        assert body not in page


def test_the_blocker_sees_none_of_the_blocked_posts_anywhere(app, blocked_world):
    alice = browser(app, "alice").client
    before = text(alice, "/explore")
    assert "bob sings" in before
    block(app, "alice", "bob")
    carol_post = blocked_world["carol"]
    for path in (
        "/",
        "/explore",
        "/tag/birds",
        f"/post/{carol_post}",
        "/search?q=bob",
        "/search?q=sings&sort=best",
        "/search?q=%23birds",
        "/user/bob",
    ):
        page = text(alice, path)
        assert_hidden(page)
    assert "carol starts" in text(alice, "/explore")
    assert "carol starts" in text(alice, f"/post/{carol_post}")
    # The blocked account's own thread page is not there for the blocker.
    assert alice.get(f"/post/{blocked_world['bob']}").status_code == 404
    likers = text(alice, f"/post/{carol_post}/likes")
    assert ">alice</a>" in likers
    assert ">bob</a>" not in likers
    assert ">bob</a>" not in text(alice, "/notifications")
    with app.app_context():
        assert notifications.unread_count(get_user("alice").id) == 0
        assert notifications.page(get_user("alice"), None, 20).items == []


def test_the_blocker_sees_nothing_of_the_blocked_through_the_api(app, blocked_world):
    block(app, "alice", "bob")
    token = obtain_token(app.test_client(), "alice")
    api = app.test_client()
    headers = bearer(token)
    carol_post = blocked_world["carol"]
    for path in (
        "/api/feed",
        "/api/posts",
        "/api/tags/birds/posts",
        f"/api/posts/{carol_post}/replies",
        "/api/search?q=bob",
    ):
        response = api.get(path, headers=headers)
        assert response.status_code == 200, path
        bodies = [item["body"] for item in response.get_json()["items"]]
        assert not any(body.startswith("bob") for body in bodies), (path, bodies)
    assert (
        api.get(f"/api/posts/{blocked_world['bob']}", headers=headers).status_code
        == 404
    )
    likers = api.get(f"/api/posts/{carol_post}/likes", headers=headers).get_json()
    assert [item["username"] for item in likers["items"]] == ["alice"]
    assert api.get("/api/notifications", headers=headers).get_json()["items"] == []


def test_the_blocked_still_sees_the_blockers_public_posts(app, people):
    publish(app, "alice", "alice in public")
    block(app, "alice", "bob")
    assert "alice in public" in text(browser(app, "bob").client, "/explore")


def test_unblocking_brings_the_posts_back_but_not_the_follows(app, blocked_world):
    block(app, "alice", "bob")
    alice = browser(app, "alice")
    alice.post_form("/user/bob/unblock", {}, page="/user/bob")
    page = text(alice.client, "/explore")
    assert "bob sings" in page
    assert rows(app, follows) == 0
    assert alice.post_form("/follow/bob", {}, page="/user/bob").status_code == 302
    assert rows(app, follows) == 1


# --- mutes --------------------------------------------------------------------


def test_a_mute_hides_posts_and_notifications_from_the_muter_only(app, blocked_world):
    alice = browser(app, "alice")
    assert "bob sings" in text(alice.client, "/explore")
    response = alice.post_form("/user/bob/mute", {}, page="/user/bob")
    assert response.status_code == 302
    # The follows stay: a mute is silent.
    assert rows(app, follows) == 2
    for path in (
        "/",
        "/explore",
        "/tag/birds",
        f"/post/{blocked_world['carol']}",
        "/search?q=sings",
    ):
        assert_hidden(text(alice.client, path))
    profile = text(alice.client, "/user/bob")
    assert "You muted bob" in profile
    assert "Unmute" in profile
    with app.app_context():
        alice_user = get_user("alice")
        assert notifications.unread_count(alice_user.id) == 0
        assert notifications.page(alice_user, None, 20).items == []
    # Nothing changes for bob or for carol.
    for name in ("bob", "carol"):
        assert "bob sings" in text(browser(app, name).client, "/explore")
    # bob can still mention alice; she is told nothing until she unmutes.
    publish(app, "bob", "still talking to @alice")
    alice.post_form("/user/bob/unmute", {}, page="/user/bob")
    assert "bob sings" in text(alice.client, "/explore")
    with app.app_context():
        assert notifications.unread_count(get_user("alice").id) > 0


# --- freshness: two apps on one database --------------------------------------


def test_a_block_on_one_node_changes_the_other_nodes_next_page_and_etag(nodes):
    a, b = nodes
    publish(a, "bob", "bob on the wire")
    on_a = browser(a, "alice")
    on_b = browser(b, "alice").client
    first = on_b.get("/explore")
    assert "bob on the wire" in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    assert on_b.get("/explore", headers={"If-None-Match": etag}).status_code == 304
    on_a.post_form("/user/bob/block", {}, page="/user/bob")
    on_b.get("/")  # the flash is for a's session only; b has none
    again = on_b.get("/explore", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert "bob on the wire" not in again.get_data(as_text=True)
    assert again.headers["ETag"] != etag
    profile = on_b.get("/user/bob")
    assert "You blocked bob." in profile.get_data(as_text=True)


def test_a_mute_on_one_node_changes_the_profile_etag_on_the_other(nodes):
    a, b = nodes
    on_b = browser(b, "alice").client
    first = on_b.get("/user/bob")
    etag = first.headers["ETag"]
    mute(a, "alice", "bob")
    again = on_b.get("/user/bob", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert "You muted bob" in again.get_data(as_text=True)


# --- the API ------------------------------------------------------------------


def test_api_block_and_mute_are_idempotent_204s(app, people):
    token = obtain_token(app.test_client(), "alice")
    api = app.test_client()
    bob = people["bob"]
    for kind, table in (("block", blocks), ("mute", mutes)):
        for _ in range(2):
            assert (
                api.put(f"/api/users/{bob}/{kind}", headers=bearer(token)).status_code
                == 204
            )
        assert rows(app, table) == 1
        for _ in range(2):
            assert (
                api.delete(
                    f"/api/users/{bob}/{kind}", headers=bearer(token)
                ).status_code
                == 204
            )
        assert rows(app, table) == 0


def test_api_block_of_yourself_is_422_and_of_nobody_404(app, people):
    token = obtain_token(app.test_client(), "alice")
    api = app.test_client()
    for kind in ("block", "mute"):
        assert (
            api.put(
                f"/api/users/{people['alice']}/{kind}", headers=bearer(token)
            ).status_code
            == 422
        )
        assert (
            api.put(f"/api/users/999999/{kind}", headers=bearer(token)).status_code
            == 404
        )
        assert (
            api.delete(f"/api/users/999999/{kind}", headers=bearer(token)).status_code
            == 404
        )
        assert api.put(f"/api/users/{people['bob']}/{kind}").status_code == 401
    assert rows(app, blocks) == 0


def test_api_block_removes_follows_and_hides_posts(app, people):
    publish(app, "bob", "bob via the api")
    with app.app_context():
        social.follow(get_user("alice"), get_user("bob"))
    token = obtain_token(app.test_client(), "alice")
    api = app.test_client()
    assert (
        api.put(f"/api/users/{people['bob']}/block", headers=bearer(token)).status_code
        == 204
    )
    assert rows(app, follows) == 0
    bodies = [
        p["body"]
        for p in api.get("/api/posts", headers=bearer(token)).get_json()["items"]
    ]
    assert "bob via the api" not in bodies


def test_a_deleted_account_takes_its_blocks_and_mutes_with_it(app, people):
    block(app, "alice", "bob")
    mute(app, "carol", "bob")
    with app.app_context():
        db.session.delete(get_user("bob"))
        db.session.commit()
    assert rows(app, blocks) == 0
    assert rows(app, mutes) == 0


def test_people_search_leaves_out_accounts_blocked_either_way(app, people):
    block(app, "alice", "bob")
    searchers = {name: browser(app, name) for name in ("alice", "bob", "carol")}
    tokens = {name: obtain_token(app.test_client(), name) for name in searchers}

    def found(name: str) -> tuple[str, list[str]]:
        page = text(searchers[name].client, "/search?q=b&type=users")
        listed = app.test_client().get(
            "/api/search?q=b&type=users", headers=bearer(tokens[name])
        )
        return page, [item["username"] for item in listed.get_json()["items"]]

    page, listed = found("alice")
    assert ">bob</a>" not in page
    assert listed == []
    page, listed = found("carol")
    assert ">bob</a>" in page
    assert listed == ["bob"]
    # The blocked side does not find the blocker either.
    page = text(searchers["bob"].client, "/search?q=a&type=users")
    assert ">alice</a>" not in page
