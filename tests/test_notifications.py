"""Notifications: what makes one, what never does, the badge and the page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, Post, User
from app.services import accounts, likes, notifications, posts, social
from tests.factories import DEFAULT_PASSWORD
from tests.statements import count_statements

BADGE = re.compile(r'notification-badge">(\d+|99\+)<')


@pytest.fixture
def people(make_user):
    return make_user("alice"), make_user("bob"), make_user("carol")


def user(name: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == name))


def kinds_for(app, name: str) -> list[tuple[str, str, int | None]]:
    """(kind, actor, post id) of ``name``'s notifications, newest first."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Notification.kind, User.username, Notification.post_id)
            .join(User, User.id == Notification.actor_id)
            .where(Notification.recipient_id == user(name).id)
            .order_by(Notification.id.desc())
        )
        return [tuple(r) for r in rows]


def badge(client) -> str | None:
    match = BADGE.search(client.get("/explore").get_data(as_text=True))
    return match.group(1) if match else None


def test_each_kind_is_made_once_for_the_right_person(app, people):
    with app.app_context():
        alice, bob = user("alice"), user("bob")
        root = posts.publish(alice, "hello @carol")
        reply = posts.publish(bob, "hi @alice and @carol", in_reply_to=root.id)
        likes.like(bob, root.id)
        likes.like(bob, root.id)
        social.follow(bob, alice)
        social.follow(bob, alice)
        root_id, reply_id = root.id, reply.id
    # The parent's author gets the reply, not also a mention of it.
    assert kinds_for(app, "alice") == [
        ("follow", "bob", None),
        ("like", "bob", root_id),
        ("reply", "bob", reply_id),
    ]
    assert kinds_for(app, "carol") == [
        ("mention", "bob", reply_id),
        ("mention", "alice", root_id),
    ]
    assert kinds_for(app, "bob") == []


def test_nothing_for_your_own_actions(app, people):
    with app.app_context():
        alice = user("alice")
        root = posts.publish(alice, "talking to @alice myself")
        posts.publish(alice, "and replying to me", in_reply_to=root.id)
        likes.like(alice, root.id)
    assert kinds_for(app, "alice") == []


def test_an_unlike_withdraws_the_unread_notification_only(app, people):
    with app.app_context():
        alice, bob = user("alice"), user("bob")
        post_id = posts.publish(alice, "like me").id
        likes.like(bob, post_id)
        likes.unlike(bob, post_id)
    assert kinds_for(app, "alice") == []
    with app.app_context():
        likes.like(user("bob"), post_id)
        notifications.mark_all_read(user("alice"))
        likes.unlike(user("bob"), post_id)
        likes.like(user("bob"), post_id)
    # The read one stays, and liking again does not add a second.
    assert kinds_for(app, "alice") == [("like", "bob", post_id)]


def test_an_unfollow_withdraws_the_unread_follow(app, people):
    with app.app_context():
        social.follow(user("bob"), user("alice"))
        social.unfollow(user("bob"), user("alice"))
    assert kinds_for(app, "alice") == []


def test_edits_notify_new_mentions_and_withdraw_removed_ones(app, people):
    with app.app_context():
        post = posts.publish(user("alice"), "hi @bob")
        posts.edit(post, user("alice"), "hi @carol")
        post_id = post.id
    assert kinds_for(app, "bob") == []
    assert kinds_for(app, "carol") == [("mention", "alice", post_id)]


def test_deleting_the_post_or_the_actor_removes_their_notifications(app, people):
    with app.app_context():
        post = posts.publish(user("alice"), "hi @bob")
        posts.publish(user("carol"), "hey @bob")
        posts.delete(post, user("alice"))
        accounts.delete_account(user("carol"), DEFAULT_PASSWORD)
    assert kinds_for(app, "bob") == []


def test_the_badge_counts_unread_and_mark_all_read_clears_it(app, client, auth, people):
    with app.app_context():
        post = posts.publish(user("alice"), "for @bob")
        likes.like(user("carol"), post.id)
        social.follow(user("carol"), user("bob"))
    auth.login("bob")
    assert badge(client) == "2"
    response = client.get("/explore")
    etag = response.headers["ETag"]
    with app.app_context():
        posts.publish(user("carol"), "also for @bob")
    # The page's ETag holds the count: no 304 for a stale badge.
    again = client.get("/explore", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert badge(client) == "3"
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count("mentioned you") == 2
    assert "followed you" in page
    assert "liked your post" not in page  # carol liked alice's post
    response = auth.post_form("/notifications/read", {}, page="/notifications")
    assert response.status_code == 302
    assert badge(client) is None
    with app.app_context():
        unread = notifications.unread_count(user("bob").id)
    assert unread == 0


def test_the_notifications_page_pages_newest_first(make_app, make_user):
    app = make_app(POSTS_PER_PAGE="2")
    make_user("alice")
    for n in range(5):
        make_user(f"fan{n}")
    with app.app_context():
        for n in range(5):
            social.follow(user(f"fan{n}"), user("alice"))
    client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(client).login("alice")
    first = client.get("/notifications").get_data(as_text=True)
    assert first.index("fan4") < first.index("fan3")
    assert "fan2" not in first
    link = re.search(r'href="(/notifications\?before=\d+)"', first).group(1)
    second = client.get(link).get_data(as_text=True)
    assert "fan2" in second
    assert "fan4" not in second


def test_notifications_need_login_and_are_private(app, client, auth, people):
    assert client.get("/notifications").status_code == 302
    with app.app_context():
        posts.publish(user("alice"), "secret for @bob")
    auth.login("carol")
    page = client.get("/notifications").get_data(as_text=True)
    assert "secret for" not in page
    assert client.post("/notifications/read").status_code == 400  # no CSRF token


def test_the_unread_count_is_one_statement(app, people):
    with app.app_context():
        bob_id = user("bob").id
        for n in range(3):
            posts.publish(user("alice"), f"@bob {n}")
    with count_statements(app) as statements, app.app_context():
        assert notifications.unread_count(bob_id) == 3
    assert len(statements) == 1
    assert "notifications" in statements[0]


def test_the_unread_count_reads_the_partial_index(app, people):
    """With statistics of a lived-in site (most notifications read), the
    count reads only the index of unread rows."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
        alice, bob = user("alice"), user("bob")
        for n in range(300):
            posts.publish(bob, f"post {n}")
        post_ids = db.session.scalars(sa.select(Post.id).where(Post.user_id == bob.id))
        for post_id in post_ids:
            likes.like(alice, post_id)
        notifications.mark_all_read(bob)
        posts.publish(alice, "@bob one unread")
        db.session.execute(sa.text("ANALYZE"))
        try:
            with count_statements(app) as statements:
                assert notifications.unread_count(bob.id) == 1
            cursor = db.session.connection().connection.cursor()
            count = next(s for s in statements if "FROM notifications" in s)
            # Every "?" is the reader's id (the count and the block/mute check).
            params = (bob.id,) * count.count("?")
            plan = cursor.execute(f"EXPLAIN QUERY PLAN {count}", params)
            plan = plan.fetchall()
        finally:
            # Other tests must not plan with these statistics.
            db.session.execute(sa.text("DELETE FROM sqlite_stat1"))
            db.session.commit()
    assert any("ix_notifications_unread" in str(step) for step in plan), plan


def test_a_post_liked_twice_at_once_by_the_service_counts_once(app, people):
    with app.app_context():
        post_id = posts.publish(user("alice"), "hello").id
        likes.like(user("bob"), post_id)
        likes.like(user("bob"), post_id)
        assert db.session.get(Post, post_id).like_count == 1
