"""Caches never show stale content: two apps on one database act as two
processes (or nodes), each with its own in-process fragment cache, and a
write through one shows on the other's next request. Pages answer
conditional GETs with 304 only while nothing they show has changed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.extensions import cache, db
from app.models import Post, User
from app.services import posts
from tests.conftest import CSRF_RE, AuthActions
from tests.factories import DEFAULT_PASSWORD, UserFactory


@pytest.fixture
def nodes(make_app):
    """Two apps on the same database, each with its own caches."""
    first, second = make_app(), make_app()
    with first.app_context():
        UserFactory(username="alice")
        UserFactory(username="reader")
    return first, second


def logged_in(app, username: str):
    browser = app.test_client()
    AuthActions(browser).login(username)
    return browser


def explore(browser) -> str:
    response = browser.get("/explore")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_post_made_on_one_node_shows_on_the_others_next_page(nodes):
    a, b = nodes
    alice_on_a = logged_in(a, "alice")
    reader_on_b = logged_in(b, "reader")
    alice_on_a_auth = AuthActions(alice_on_a)
    alice_on_a_auth.post_form("/", {"body": "first words"})
    assert "first words" in explore(reader_on_b)  # its card is now cached on b
    alice_on_a_auth.post_form("/", {"body": "second words"})
    page = explore(reader_on_b)
    assert "first words" in page
    assert "second words" in page
    assert "second words" in b.test_client().get("/explore").get_data(as_text=True)


def test_a_rename_on_one_node_shows_in_the_other_nodes_cached_cards(nodes):
    a, b = nodes
    alice = AuthActions(logged_in(a, "alice"))
    alice.post_form("/", {"body": "signed post"})
    reader = logged_in(b, "reader")
    assert ">alice</a>" in explore(reader)
    renamed = alice.post_form(
        "/settings/profile", {"username": "alicia", "about_me": "new me"}
    )
    assert renamed.status_code == 302
    page = explore(reader)
    assert ">alicia</a>" in page
    assert ">alice</a>" not in page
    profile = reader.get("/user/alicia").get_data(as_text=True)
    assert "new me" in profile
    assert "signed post" in profile


def test_a_delete_on_one_node_removes_the_post_on_the_other(nodes):
    a, b = nodes
    alice = AuthActions(logged_in(a, "alice"))
    alice.post_form("/", {"body": "regrettable"})
    reader = logged_in(b, "reader")
    assert "regrettable" in explore(reader)
    with a.app_context():
        post_id = db.session.scalar(sa.select(Post.id))
    deleted = alice.post_form(f"/post/{post_id}/delete", {}, page="/explore")
    assert deleted.status_code == 302
    assert "regrettable" not in explore(reader)
    assert "regrettable" not in reader.get("/user/alice").get_data(as_text=True)


def test_an_email_change_moves_the_avatar_in_cached_cards(nodes):
    a, b = nodes
    with a.app_context():
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        old_avatar = str(escape(alice.avatar_url(48)))
        db.session.add(Post(author=alice, body="look at my face"))
        db.session.commit()
    reader = logged_in(b, "reader")
    assert old_avatar in explore(reader)
    with a.app_context():
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        alice.email = "alice.new@example.com"
        db.session.commit()
        new_avatar = str(escape(alice.avatar_url(48)))
    page = explore(reader)
    assert new_avatar in page
    assert old_avatar not in page


def test_last_seen_writes_do_not_touch_the_card_cache(app, client, auth, monkeypatch):
    with app.app_context():
        UserFactory(username="john")
        author = UserFactory(username="writer")
        for n in range(3):
            db.session.add(Post(author=author, body=f"card {n}"))
        db.session.commit()
    rendered: list[str] = []
    real_set_many = cache.set_many

    def counting(mapping, *args, **kwargs):
        rendered.extend(key for key in mapping if key.startswith("card:"))
        return real_set_many(mapping, *args, **kwargs)

    monkeypatch.setattr(cache, "set_many", counting)
    auth.login("john")
    client.get("/explore")
    assert len(rendered) == 3
    with app.app_context():  # as if a minute had passed: last_seen moves
        db.session.execute(sa.update(User).values(last_seen=User.created_at))
        db.session.commit()
    client.get("/explore")
    AuthActions(client).post_form("/", {"body": "a new one"})
    client.get("/explore")
    # Only the new post's card was rendered again.
    assert len(rendered) == 4


def etag_request(browser, path: str, etag: str | None = None):
    headers = {"If-None-Match": etag} if etag else {}
    return browser.get(path, headers=headers)


@pytest.mark.parametrize("path", ["/", "/explore", "/user/alice"])
def test_an_unchanged_page_answers_304_without_a_body(nodes, path):
    a, _ = nodes
    browser = logged_in(a, "reader")
    AuthActions(logged_in(a, "alice")).post_form("/", {"body": "hello"})
    first = etag_request(browser, path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = etag_request(browser, path, etag)
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert "private" in again.headers["Cache-Control"]


def test_the_etag_holds_across_nodes_until_something_shown_changes(nodes):
    a, b = nodes
    alice_auth = AuthActions(logged_in(a, "alice"))
    alice_auth.post_form("/", {"body": "one"})
    # One browser session, as seen by two nodes.
    browser = logged_in(a, "reader")
    etag = etag_request(browser, "/explore").headers["ETag"]
    node_b = b.test_client()
    for cookie in ("session",):
        node_b.set_cookie(cookie, browser.get_cookie(cookie).value)
    assert etag_request(node_b, "/explore", etag).status_code == 304
    alice_auth.post_form("/", {"body": "two"})
    changed = etag_request(node_b, "/explore", etag)
    assert changed.status_code == 200
    assert "two" in changed.get_data(as_text=True)


def test_a_profile_change_changes_the_etag(app, client, auth):
    with app.app_context():
        UserFactory(username="alice")
        UserFactory(username="reader")
    auth.login("reader")
    etag = client.get("/user/alice").headers["ETag"]
    with app.app_context():
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        alice.about_me = "fresh words"
        db.session.commit()
    response = etag_request(client, "/user/alice", etag)
    assert response.status_code == 200
    assert "fresh words" in response.get_data(as_text=True)


def test_readers_do_not_share_etags(app):
    with app.app_context():
        UserFactory(username="ann")
        UserFactory(username="bob")
    ann, bob = logged_in(app, "ann"), logged_in(app, "bob")
    etag = ann.get("/explore").headers["ETag"]
    answer = etag_request(bob, "/explore", etag)
    assert answer.status_code == 200
    assert ">bob</span>" in answer.get_data(as_text=True)


def test_a_new_session_never_gets_the_old_sessions_page(app, client, auth):
    """The page holds CSRF tokens of its session; after logging in again the
    browser's copy must not be confirmed, or its forms would fail."""
    with app.app_context():
        UserFactory(username="ann")
    auth.login("ann")
    etag = client.get("/").headers["ETag"]
    auth.logout()
    auth.login("ann")
    response = etag_request(client, "/", etag)
    assert response.status_code == 200
    posted = AuthActions(client).post_form("/", {"body": "still works"})
    assert posted.status_code == 302


def test_pages_with_a_flash_message_are_never_confirmed(app, client, auth):
    with app.app_context():
        UserFactory(username="ann")
    auth.login("ann")
    etag = client.get("/").headers["ETag"]
    AuthActions(client).post_form("/", {"body": "flashy"})
    response = etag_request(client, "/", etag)
    assert response.status_code == 200
    assert "Your post is live." in response.get_data(as_text=True)
    assert "ETag" not in response.headers


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/explore", "public, max-age=5"),
        ("/user/alice", "public, max-age=5"),
        ("/tag/birds", "public, max-age=5"),
        ("/post/{post}", "public, max-age=5"),
        ("/post/{post}/likes", "public, max-age=5"),
        ("/post/{post}/history", "public, max-age=5"),
        ("/auth/login", "no-store"),
    ],
)
def test_anonymous_cache_control(app, client, path, expected):
    with app.app_context():
        alice = UserFactory(username="alice")
        post_id = posts.publish(alice, "hello #birds").id
    response = client.get(path.format(post=post_id))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == expected
    if "public" in expected:
        # Nothing in a shared page may belong to one browser.
        assert "csrf_token" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/explore", "/user/alice", "/tag/birds"])
def test_an_anonymous_304_keeps_the_public_cache_control(app, client, path):
    """A 304 refreshes the stored copy's headers: a no-cache there would
    shorten the life of a page a proxy may keep for everyone."""
    with app.app_context():
        posts.publish(UserFactory(username="alice"), "hello #birds")
    etag = client.get(path).headers["ETag"]
    again = etag_request(client, path, etag)
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "public, max-age=5"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", {"private", "no-cache"}),
        ("/explore", {"private", "no-cache"}),
        ("/user/john", {"private", "no-cache"}),
        ("/notifications", {"private", "no-cache"}),
        ("/tag/birds", {"private", "no-cache"}),
        ("/settings/profile", {"no-store"}),
        ("/settings/password", {"no-store"}),
    ],
)
def test_personalised_pages_are_private(client, auth, user, path, expected):
    auth.login(user)
    response = client.get(path)
    assert response.status_code == 200
    assert set(response.headers["Cache-Control"].split(", ")) == expected


def test_api_answers_are_private(client, user):
    token = client.post("/api/tokens", auth=(user.username, DEFAULT_PASSWORD))
    response = client.get(
        "/api/feed", headers={"Authorization": f"Bearer {token.get_json()['token']}"}
    )
    assert response.status_code == 200
    assert "private" in response.headers["Cache-Control"]


def test_the_cached_navigation_carries_this_sessions_logout_token(app, client, auth):
    with app.app_context():
        UserFactory(username="ann")
    auth.login("ann")
    client.get("/explore")  # the navigation for (ann, /explore) is now cached
    auth.logout()
    auth.login("ann")  # a new session with a new CSRF secret
    page = client.get("/explore").get_data(as_text=True)
    nav = page[page.index("<nav") : page.index("</nav>")]
    token = CSRF_RE.search(nav).group(1)
    response = client.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Log out" not in client.get("/").get_data(as_text=True)


def test_a_message_sent_on_one_node_shows_in_the_other_nodes_nav(nodes):
    a, b = nodes
    reader_on_b = logged_in(b, "reader")
    first = etag_request(reader_on_b, "/explore")
    assert "message-badge" not in first.get_data(as_text=True)  # nav cached on b
    alice_on_a = AuthActions(logged_in(a, "alice"))
    sent = alice_on_a.post_form("/messages/reader", {"body": "psst"})
    assert sent.status_code == 302
    again = etag_request(reader_on_b, "/explore", first.headers["ETag"])
    assert again.status_code == 200  # no 304 for a page with a stale badge
    assert 'message-badge">1<' in again.get_data(as_text=True)
    # Reading it on b clears the badge there, and on a's next page too.
    reader_on_b.get("/messages/alice")
    assert "message-badge" not in explore(reader_on_b)
    reader_on_a = a.test_client()
    reader_on_a.set_cookie("session", reader_on_b.get_cookie("session").value)
    assert "message-badge" not in explore(reader_on_a)
