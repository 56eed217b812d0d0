"""The page cache: pages are reused, yet every change anywhere shows at once.

Changes here are made through a second engine, as another process, another
node or psql would make them: the app only learns of them through the
content generation that the database triggers move.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from app import generation, page_cache
from app.db_types import utcnow
from app.extensions import db
from app.models import Post, User, follows
from tests.api_helpers import bearer, obtain_token
from tests.conftest import CSRF_RE, AuthActions, csrf_from
from tests.statements import count_statements
from tests.test_posts import post_ids


@pytest.fixture
def other_process(app: Flask) -> Iterator[sa.Engine]:
    """An engine of its own on the app's database: writes the app did not make."""
    with app.app_context():
        url = db.engine.url
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def reader(app, client, auth, make_user):
    """john, logged in, follows jane, who has posted once."""
    john = make_user("john")
    jane = make_user("jane")
    with app.app_context():
        db.session.execute(
            sa.insert(follows).values(
                follower_id=john.id, followed_id=jane.id, created_at=utcnow()
            )
        )
        db.session.add(Post(user_id=jane.id, body="first words"))
        db.session.commit()
    auth.login("john")
    return {"john": john, "jane": jane}


@pytest.fixture
def peeks(monkeypatch) -> list[int | None]:
    """Each read of the generation (it goes past SQLAlchemy's events)."""
    seen: list[int | None] = []
    real = generation.peek

    def counted() -> int | None:
        seen.append(real())
        return seen[-1]

    monkeypatch.setattr(generation, "peek", counted)
    return seen


def page(client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_page_is_rendered_once_then_served_from_one_small_read(
    app, client, reader, peeks
):
    first = page(client)
    assert "first words" in first
    peeks.clear()
    with count_statements(app) as statements:
        again = page(client)
    # The generation is read once; the reader and the page come from memory.
    assert statements == []
    assert len(peeks) == 1
    assert again == first
    assert len(app.extensions["wren_page_cache"].pages) == 1


def test_slot_markers_never_reach_the_reader(app, client, reader):
    for _ in range(2):  # rendered, then from the cache
        body = page(client)
        assert page_cache._SLOT not in body
        assert "wren" + "C" not in body.replace("Wren", "")


@pytest.mark.parametrize(
    "change",
    [
        "INSERT INTO posts (body, created_at, user_id) "
        "VALUES ('breaking news', :now, :jane)",
        "DELETE FROM posts WHERE body = 'first words'",
        "UPDATE users SET username = 'janet', username_key = 'janet' WHERE id = :jane",
        "DELETE FROM follows WHERE followed_id = :jane",
    ],
    ids=["post", "delete", "rename", "unfollow"],
)
def test_a_change_from_another_process_shows_on_the_next_request(
    app, client, reader, other_process, change
):
    before = page(client)
    page(client)  # now certainly cached
    with other_process.begin() as conn:
        conn.execute(sa.text(change), {"now": utcnow(), "jane": reader["jane"].id})
    after = page(client)
    assert after != before
    if "INSERT" in change:
        assert "breaking news" in after
    elif "username" in change:
        assert ">janet<" in after
        assert ">jane<" not in after
    else:
        assert "first words" not in after


def test_every_tracked_table_moves_the_generation(app, reader, other_process):
    jane = reader["jane"].id
    changes = [
        "INSERT INTO posts (body, created_at, user_id) VALUES ('x', :now, :jane)",
        "UPDATE posts SET body = 'y' WHERE body = 'x'",
        "DELETE FROM posts WHERE body = 'y'",
        "UPDATE users SET about_me = 'hello' WHERE id = :jane",
        "UPDATE users SET last_seen = :now WHERE id = :jane",  # profiles show it
        "DELETE FROM follows WHERE followed_id = :jane",
        "INSERT INTO follows (follower_id, followed_id, created_at) "
        "VALUES (:jane, :john, :now)",
        "UPDATE follows SET created_at = :now WHERE follower_id = :jane",
        "DELETE FROM users WHERE id = :jane",
    ]
    params = {"now": utcnow(), "jane": jane, "john": reader["john"].id}
    with app.app_context():
        seen = [generation.peek()]
    for change in changes:
        with other_process.begin() as conn:
            conn.execute(sa.text(change), params)
        with app.app_context():
            seen.append(generation.peek())
    assert all(b > a for a, b in zip(seen, seen[1:], strict=False)), seen


def test_each_browser_gets_its_own_csrf_token_from_a_shared_page(
    app, reader, make_user
):
    """Two sessions of one user share the cached page, not its tokens."""
    laptop, phone = app.test_client(), app.test_client()
    AuthActions(laptop).login("john")
    AuthActions(phone).login("john")
    laptop_page, phone_page = page(laptop), page(phone)
    assert len(app.extensions["wren_page_cache"].pages) == 1
    laptop_token, phone_token = csrf_from(laptop.get("/")), csrf_from(phone.get("/"))
    assert laptop_token
    assert phone_token
    # Each token signs its own session's secret.
    raw = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    assert raw.loads(laptop_token) != raw.loads(phone_token)
    assert laptop_page.replace(csrf_from_text(laptop_page), "") == phone_page.replace(
        csrf_from_text(phone_page), ""
    )
    # The phone posts with the token from its copy of the cached page.
    response = phone.post("/", data={"csrf_token": phone_token, "body": "from phone"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Post).where(Post.body == "from phone"))


def csrf_from_text(body: str) -> str:
    match = CSRF_RE.search(body)
    assert match
    return match.group(1)


def test_relative_times_are_worked_out_on_every_request(
    app, client, reader, monkeypatch
):
    with app.app_context():
        post = db.session.scalar(sa.select(Post).where(Post.body == "first words"))
        post.created_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    assert "5 minutes ago" in page(client)
    later = utcnow() + timedelta(hours=2)
    # The page comes from the cache now; its times are worked out there.
    monkeypatch.setattr("app.page_cache.utcnow", lambda: later)
    body = page(client)
    assert "2 hours ago" in body
    assert "5 minutes ago" not in body


def test_flashed_messages_bypass_the_cache(app, client, reader, auth):
    page(client)
    response = auth.post_form("/", {"body": "hello there"}, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "Your post is live." in body
    assert "hello there" in body
    assert "Your post is live." not in page(client)


def test_pages_differ_per_reader_and_per_url(app, client, reader, make_user):
    as_john = page(client, "/user/jane")
    assert "Unfollow" in as_john
    stranger = app.test_client()
    as_nobody = page(stranger, "/user/jane")
    assert "Log in to follow" in as_nobody
    assert "Unfollow" not in as_nobody
    page(client, "/explore")
    page(client, "/explore?before=1000")
    assert len(app.extensions["wren_page_cache"].pages) == 4


def test_anonymous_pages_are_cached_and_follow_changes(
    app, reader, other_process, peeks
):
    stranger = app.test_client()
    assert "first words" in page(stranger, "/explore")
    peeks.clear()
    with count_statements(app) as statements:
        page(stranger, "/explore")
    assert statements == []
    assert len(peeks) == 1
    with other_process.begin() as conn:
        conn.execute(sa.text("DELETE FROM posts"))
    assert "first words" not in page(stranger, "/explore")


def test_the_api_feed_is_cached_and_follows_changes(app, reader, other_process, peeks):
    client = app.test_client()  # an API client sends no session cookie
    token = obtain_token(client, "john")
    first = client.get("/api/feed", headers=bearer(token))
    assert [p["body"] for p in first.get_json()["items"]] == ["first words"]
    peeks.clear()
    with count_statements(app) as statements:
        again = client.get("/api/feed", headers=bearer(token))
    assert statements == []  # the token's owner came from memory too
    assert len(peeks) == 1
    assert again.get_json() == first.get_json()
    assert again.headers["Content-Type"] == "application/json"
    with other_process.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO posts (body, created_at, user_id) "
                "VALUES ('api news', :now, :jane)"
            ),
            {"now": utcnow(), "jane": reader["jane"].id},
        )
    items = client.get("/api/feed", headers=bearer(token)).get_json()["items"]
    assert [p["body"] for p in items] == ["api news", "first words"]


def test_a_missing_generation_row_turns_caching_off(app, client, reader, other_process):
    with other_process.begin() as conn:
        conn.execute(sa.text("DELETE FROM content_generation"))
    assert "first words" in page(client)
    assert len(app.extensions["wren_page_cache"].pages) == 0
    # The next write puts the row back, and caching resumes.
    with other_process.begin() as conn:
        conn.execute(sa.text("DELETE FROM posts"))
    with app.app_context():
        assert generation.peek() == 1
    assert "first words" not in page(client)
    assert len(app.extensions["wren_page_cache"].pages) == 1


def test_the_cache_is_bounded(make_app):
    app = make_app(PAGE_CACHE_SIZE="2")
    client = app.test_client()
    for path in ("/explore", "/explore?a=1", "/explore?a=2", "/explore?a=3"):
        page(client, path)
    assert len(app.extensions["wren_page_cache"].pages) == 2


def test_size_zero_turns_the_cache_off(make_app):
    app = make_app(PAGE_CACHE_SIZE="0")
    assert "wren_page_cache" not in app.extensions
    client = app.test_client()
    page(client, "/explore")
    with count_statements(app) as statements:
        page(client, "/explore")
    assert any("FROM posts" in s for s in statements)


def test_post_ids_on_a_cached_feed_follow_deletes_made_in_the_app(
    app, client, reader, auth
):
    auth.post_form("/", {"body": "mine"})
    ids = post_ids(client.get("/"))
    assert len(ids) == 2
    with app.app_context():
        mine = db.session.scalar(sa.select(Post).where(Post.body == "mine"))
        assert mine.user_id == reader["john"].id
        mine_id = mine.id
    auth.post_form(f"/post/{mine_id}/delete", {}, page="/")
    assert post_ids(client.get("/")) == [i for i in ids if i != mine_id]


# The reader's row and a token's owner are also kept in memory while the
# generation stands still; every change to them must still count at once.


def test_a_password_changed_elsewhere_ends_the_session_at_once(
    app, client, reader, other_process
):
    assert "first words" in page(client)
    page(client)  # the reader now comes from memory
    with other_process.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE users SET session_version = session_version + 1 "
                "WHERE id = :john"
            ),
            {"john": reader["john"].id},
        )
    response = client.get("/settings/profile")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_an_account_deleted_elsewhere_is_logged_out_at_once(
    app, client, reader, other_process
):
    page(client)
    page(client)
    with other_process.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM users WHERE id = :john"), {"john": reader["john"].id}
        )
    assert client.get("/settings/profile").status_code == 302


def test_a_reader_from_memory_can_still_change_their_account(app, client, reader, auth):
    page(client)
    page(client)
    response = auth.post_form(
        "/settings/profile", {"username": "johnny", "about_me": "new here"}
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.execute(
            sa.text("SELECT username, about_me FROM users WHERE id = :id"),
            {"id": reader["john"].id},
        ).one()
    assert tuple(row) == ("johnny", "new here")
    assert ">johnny<" in page(client)


def test_a_token_revoked_elsewhere_stops_working_at_once(app, reader, other_process):
    api = app.test_client()
    token = obtain_token(api, "john")
    for _ in range(2):  # the owner now comes from memory
        assert api.get("/api/feed", headers=bearer(token)).status_code == 200
    with other_process.begin() as conn:
        conn.execute(sa.text("DELETE FROM api_tokens"))
    assert api.get("/api/feed", headers=bearer(token)).status_code == 401


def test_a_remembered_token_still_expires(app, reader, monkeypatch):
    api = app.test_client()
    token = obtain_token(api, "john")
    for _ in range(2):
        assert api.get("/api/feed", headers=bearer(token)).status_code == 200
    later = utcnow() + timedelta(days=400)
    monkeypatch.setattr("app.services.api_tokens.utcnow", lambda: later)
    assert api.get("/api/feed", headers=bearer(token)).status_code == 401


def test_a_page_from_the_cache_builds_no_user(app, client, reader, monkeypatch):
    page(client)
    page(client)  # the reader's row is now in memory

    def refuse(*_args):
        raise AssertionError("a User was built for a cached page")

    monkeypatch.setattr(User, "from_snapshot", classmethod(refuse))
    assert "first words" in page(client)


def test_readers_of_cached_pages_still_update_last_seen(
    app, client, reader, monkeypatch
):
    page(client)
    page(client)
    later = utcnow() + timedelta(minutes=5)
    monkeypatch.setattr("app.auth_session.utcnow", lambda: later)
    assert "first words" in page(client)
    with app.app_context():
        seen = db.session.get(User, reader["john"].id).last_seen
    assert seen == later


def test_a_cached_feed_is_not_shown_after_a_password_change_elsewhere(
    app, client, reader, other_process
):
    assert "first words" in page(client)
    page(client)
    with other_process.begin() as conn:
        conn.execute(
            sa.text("UPDATE users SET session_version = session_version + 1"),
        )
    body = page(client)
    assert "first words" not in body
    assert 'action="/auth/logout"' not in body


def test_a_token_owner_from_memory_can_change_their_account(app, reader):
    api = app.test_client()
    token = obtain_token(api, "john")
    for _ in range(2):  # the owner now comes from memory, detached
        assert api.get("/api/feed", headers=bearer(token)).status_code == 200
    response = api.patch(
        "/api/me", json={"about_me": "from the api"}, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, reader["john"].id).about_me == "from the api"
    # The same user loaded twice in one request (as the followee) is one object.
    me = reader["john"].id
    api.get("/api/feed", headers=bearer(token))
    again = api.put(f"/api/me/following/{me}", headers=bearer(token))
    assert again.status_code == 422


def test_an_api_page_from_the_cache_builds_no_user(app, reader, monkeypatch):
    api = app.test_client()
    token = obtain_token(api, "john")
    for _ in range(2):
        assert api.get("/api/feed", headers=bearer(token)).status_code == 200

    def refuse(*_args):
        raise AssertionError("a User was built for a cached API page")

    monkeypatch.setattr(User, "from_snapshot", classmethod(refuse))
    assert api.get("/api/feed", headers=bearer(token)).status_code == 200


def test_requests_on_short_lived_threads_leave_no_connection_checked_out(app, reader):
    """The threaded dev server runs each request on a thread of its own."""
    statuses: list[int] = []

    def one_request() -> None:
        statuses.append(app.test_client().get("/explore").status_code)

    for _ in range(12):
        thread = threading.Thread(target=one_request)
        thread.start()
        thread.join()
    assert statuses == [200] * 12
    with app.app_context():
        assert db.engine.pool.checkedout() == 0
