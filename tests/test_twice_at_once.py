"""Doing it twice at once (a double click, two tabs) never answers 500.

Real gunicorn with two workers on one SQLite file, so the two requests run
in two processes, each with its own database connection; a barrier releases
both threads together, for several rounds.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import Conversation, Like, Message, Notification, Post, User, follows
from tests.conftest import CSRF_RE, SHARED_DB
from tests.factories import DEFAULT_PASSWORD
from tests.servers import LiveServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(SHARED_DB), reason="serves a SQLite file; SQLite pass"),
]

ROUNDS = 8


def at_once(*calls: Callable[[], requests.Response]) -> list[int]:
    """Run ``calls`` in threads released together; their status codes."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = [0] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        statuses[i] = calls[i]().status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


class Browser:
    """A logged-in browser; ``tab()`` copies its cookies into a second tab."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.session = requests.Session()
        token = self.csrf("/auth/login")
        response = self.session.post(
            base + "/auth/login",
            data={
                "csrf_token": token,
                "username": username,
                "password": DEFAULT_PASSWORD,
            },
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, f"{username} was not logged in"
        self.token = self.csrf("/settings/profile")

    def csrf(self, path: str) -> str:
        page = self.session.get(self.base + path, timeout=10)
        match = CSRF_RE.search(page.text)
        assert match, f"no csrf_token on {path}"
        return match.group(1)

    def tab(self) -> requests.Session:
        other = requests.Session()
        other.cookies.update(self.session.cookies)
        return other

    def post(self, path: str, **fields: str) -> Callable[[], requests.Response]:
        """A form POST, to run in a tab of its own."""
        tab = self.tab()
        data = {"csrf_token": self.token, **fields}
        return lambda: tab.post(
            self.base + path, data=data, allow_redirects=False, timeout=30
        )


def api(method: str, url: str, token: str) -> Callable[[], requests.Response]:
    headers = {"Authorization": f"Bearer {token}"}
    return lambda: requests.request(method, url, headers=headers, timeout=30)


@pytest.fixture
def server(app, make_user) -> Iterator[LiveServer]:
    for name in ("john", "mary", *(f"leaver{i}" for i in range(ROUNDS))):
        make_user(name)
    with app.app_context():
        db.engine.dispose()  # the servers own the file from here on
    env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    with LiveServer(env, workers=2) as live:
        yield live
    log = live.served_log()
    assert not re.search(r'" 5\d\d ', log), f"the access log shows a 5xx:\n{log}"
    assert "Traceback" not in log, log


def follow_rows(app: Any) -> int:
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(follows))
        db.engine.dispose()
        return int(count or 0)


def test_follow_and_unfollow_twice_at_once(app, server: LiveServer) -> None:
    john = Browser(server.url, "john")
    for _ in range(ROUNDS):
        follow = [john.post("/follow/mary"), john.post("/follow/mary")]
        assert at_once(*follow) == [302, 302]
        assert follow_rows(app) == 1
        unfollow = [john.post("/unfollow/mary"), john.post("/unfollow/mary")]
        assert at_once(*unfollow) == [302, 302]
        assert follow_rows(app) == 0


def test_api_follow_and_unfollow_twice_at_once(app, server: LiveServer) -> None:
    response = requests.post(
        server.url + "/api/tokens", auth=("john", DEFAULT_PASSWORD), timeout=10
    )
    assert response.status_code == 201
    token = response.json()["token"]
    with app.app_context():
        mary_id = db.session.scalar(sa.select(User.id).where(User.username == "mary"))
    url = f"{server.url}/api/me/following/{mary_id}"
    for _ in range(ROUNDS):
        assert at_once(api("PUT", url, token), api("PUT", url, token)) == [204, 204]
        assert follow_rows(app) == 1
        assert at_once(api("DELETE", url, token), api("DELETE", url, token)) == [
            204,
            204,
        ]
        assert follow_rows(app) == 0


def test_account_deletion_twice_at_once(app, server: LiveServer) -> None:
    for i in range(ROUNDS):
        leaver = Browser(server.url, f"leaver{i}")
        # mary and the leaver follow each other: rows on both sides go too.
        mary = Browser(server.url, "mary")
        assert at_once(mary.post(f"/follow/leaver{i}")) == [302]
        assert at_once(leaver.post("/follow/mary")) == [302]
        delete = leaver.post("/settings/delete", password=DEFAULT_PASSWORD)
        again = leaver.post("/settings/delete", password=DEFAULT_PASSWORD)
        assert at_once(delete, again) == [302, 302]
        with app.app_context():
            gone = db.session.scalar(
                sa.select(User.id).where(User.username == f"leaver{i}")
            )
            db.engine.dispose()
        assert gone is None
        assert follow_rows(app) == 0


def like_state(app: Any, post_id: int) -> tuple[int, int, int]:
    """(like rows, the post's like counter, notifications) for ``post_id``."""
    with app.app_context():
        rows = db.session.scalar(
            sa.select(sa.func.count()).select_from(Like).where(Like.post_id == post_id)
        )
        counter = db.session.scalar(
            sa.select(Post.like_count).where(Post.id == post_id)
        )
        notes = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.post_id == post_id)
        )
        db.engine.dispose()
        return int(rows or 0), int(counter or 0), int(notes or 0)


def marys_post(app: Any) -> int:
    with app.app_context():
        mary = db.session.scalar(sa.select(User).where(User.username == "mary"))
        post = Post(author=mary, body="like me twice")
        db.session.add(post)
        db.session.commit()
        post_id = post.id
        db.engine.dispose()
        return post_id


def test_like_and_unlike_twice_at_once(app, server: LiveServer) -> None:
    post_id = marys_post(app)
    john = Browser(server.url, "john")
    for _ in range(ROUNDS):
        like = [john.post(f"/post/{post_id}/like"), john.post(f"/post/{post_id}/like")]
        assert at_once(*like) == [302, 302]
        assert like_state(app, post_id) == (1, 1, 1)
        unlike = [
            john.post(f"/post/{post_id}/unlike"),
            john.post(f"/post/{post_id}/unlike"),
        ]
        assert at_once(*unlike) == [302, 302]
        assert like_state(app, post_id) == (0, 0, 0)


def test_api_like_twice_at_once(app, server: LiveServer) -> None:
    post_id = marys_post(app)
    response = requests.post(
        server.url + "/api/tokens", auth=("john", DEFAULT_PASSWORD), timeout=10
    )
    token = response.json()["token"]
    url = f"{server.url}/api/posts/{post_id}/like"
    for _ in range(ROUNDS):
        assert at_once(api("PUT", url, token), api("PUT", url, token)) == [204, 204]
        assert like_state(app, post_id) == (1, 1, 1)
        assert at_once(api("DELETE", url, token), api("DELETE", url, token)) == [
            204,
            204,
        ]
        assert like_state(app, post_id) == (0, 0, 0)


def message_state(app: Any) -> tuple[int, list[tuple[int, int, int]]]:
    """(messages, [(owner, unread, last message id)] of the summaries)."""
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Message))
        rows = db.session.execute(
            sa.select(
                Conversation.owner_id, Conversation.unread, Conversation.last_message_id
            ).order_by(Conversation.owner_id)
        )
        newest = db.session.scalar(sa.select(sa.func.max(Message.id)))
        state = [(owner, unread, last - (newest or 0)) for owner, unread, last in rows]
        db.engine.dispose()
        return int(count or 0), state


def test_messages_sent_at_once_both_ways_keep_the_summaries_right(
    app, server: LiveServer
) -> None:
    john, mary = Browser(server.url, "john"), Browser(server.url, "mary")
    with app.app_context():
        john_id, mary_id = (
            db.session.scalar(sa.select(User.id).where(User.username == name))
            for name in ("john", "mary")
        )
    sent = 0
    for n in range(ROUNDS):
        sends = [
            john.post("/messages/mary", body=f"j{n}a"),
            john.post("/messages/mary", body=f"j{n}b"),
            mary.post("/messages/john", body=f"m{n}"),
        ]
        assert at_once(*sends) == [302, 302, 302]
        sent += 3
        count, state = message_state(app)
        assert count == sent
        # Both rows point at the newest message; the unread counts add up.
        assert state == [(john_id, n + 1, 0), (mary_id, 2 * (n + 1), 0)]
