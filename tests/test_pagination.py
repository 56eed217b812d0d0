"""Keyset pagination: ?before=<id> cursors and "Older posts" links."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User
from app.pagination import parse_cursor
from app.services import timelines
from tests.test_posts import add_post, post_ids

NEXT_LINK = re.compile(r'<a[^>]*rel="next"\s+href="([^"]+)"[^>]*>\s*Older posts')


def add_posts(app, username: str, count: int) -> list[int]:
    with app.app_context():
        author = db.session.scalar(sa.select(User).where(User.username == username))
        created = [Post(author=author, body=f"post {i}") for i in range(count)]
        db.session.add_all(created)
        db.session.commit()
        return [p.id for p in created]


def walk(client, url: str, during=None) -> tuple[list[int], list[str]]:
    """Follow "Older posts" links from ``url``; return ids seen and urls."""
    seen: list[int] = []
    urls: list[str] = []
    while url:
        urls.append(url)
        response = client.get(url)
        assert response.status_code == 200
        seen += post_ids(response)
        if during is not None and len(urls) == 1:
            during()
        match = NEXT_LINK.search(response.get_data(as_text=True))
        url = match.group(1).replace("&amp;", "&") if match else None
    return seen, urls


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("1", 1),
        ("60", 60),
        ("2147483647", 2**31 - 1),
    ],
)
def test_parse_cursor_accepts_positive_integers(value, expected):
    assert parse_cursor(value) == expected


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "abc", "1.5", " 7", "7 ", "1e3", "٣", "2147483648", "0x10"],
)
def test_parse_cursor_rejects_junk(value):
    with pytest.raises(ValueError, match="positive whole number"):
        parse_cursor(value)


@pytest.mark.parametrize("path", ["/explore", "/user/john", "/user/john/followers"])
def test_cursor_beyond_32_bits_is_not_found_on_every_database(client, user, path):
    # PostgreSQL's INTEGER is 32-bit: a larger parameter is an error, not a miss.
    assert client.get(f"{path}?before={2**31}").status_code == 404


@pytest.mark.parametrize("path", ["/explore", "/user/john"])
def test_walking_60_posts_visits_each_once_in_order(app, client, user, path):
    ids = add_posts(app, "john", 60)
    seen, urls = walk(client, path)
    assert seen == ids[::-1]
    assert len(urls) == 3  # 25 + 25 + 10 with POSTS_PER_PAGE=25
    assert urls[1] == f"{path}?before={ids[-25]}"


def test_walking_the_feed_visits_each_once_in_order(app, client, auth, user):
    ids = add_posts(app, "john", 60)
    auth.login(user)
    seen, urls = walk(client, "/")
    assert seen == ids[::-1]
    assert len(urls) == 3


def test_a_post_added_mid_walk_shifts_nothing(app, client, user):
    ids = add_posts(app, "john", 60)
    late: list[int] = []
    seen, _ = walk(
        client, "/explore", during=lambda: late.append(add_post(app, "john", "late"))
    )
    assert late
    # Every original post exactly once, in order; the new one is newer than
    # the cursor and appears on a fresh first page instead.
    assert seen == ids[::-1]
    assert post_ids(client.get("/explore"))[0] == late[0]


def test_a_post_deleted_mid_walk_shifts_nothing(app, client, user):
    ids = add_posts(app, "john", 60)

    def delete_newest_seen() -> None:
        with app.app_context():
            db.session.delete(db.session.get(Post, ids[-1]))
            db.session.commit()

    seen, _ = walk(client, "/explore", during=delete_newest_seen)
    assert seen == ids[::-1]  # page one was read before the delete


def test_last_page_has_no_older_link(app, client, user):
    add_posts(app, "john", 25)
    page = client.get("/explore").get_data(as_text=True)
    assert "Older posts" not in page


def test_past_the_end_says_there_is_nothing_older(app, client, user):
    ids = add_posts(app, "john", 3)
    page = client.get(f"/explore?before={ids[0]}").get_data(as_text=True)
    assert post_ids_from(page) == []
    assert "There are no older posts." in page


def post_ids_from(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="post-(\d+)"', page)]


@pytest.mark.parametrize(
    "path",
    ["/", "/explore", "/user/john", "/user/john/followers", "/user/john/following"],
)
@pytest.mark.parametrize("before", ["abc", "-5", "0", "1e9", "99999999999999999999999"])
def test_bad_cursor_is_404_not_500(app, client, auth, user, path, before):
    add_posts(app, "john", 3)
    auth.login(user)
    response = client.get(f"{path}?before={before}")
    assert response.status_code == 404


def test_page_size_comes_from_config(make_app, make_user):
    app = make_app(POSTS_PER_PAGE="7")
    make_user("john")
    ids = add_posts(app, "john", 10)
    seen, urls = walk(app.test_client(), "/explore")
    assert seen == ids[::-1]
    assert len(urls) == 2


@pytest.mark.parametrize("kind", ["explore", "user", "feed"])
def test_post_pages_report_the_next_cursor(app, user, kind):
    ids = add_posts(app, "john", 5)
    with app.app_context():
        john = db.session.get(User, user.id)

        def page(before, limit):
            if kind == "explore":
                return timelines.explore_page(before, limit)
            if kind == "user":
                return timelines.user_posts_page(john, before, limit)
            return timelines.feed_page(john, before, limit)

        first = page(None, 2)
        assert [p.id for p in first.items] == [ids[4], ids[3]]
        assert first.next_cursor == str(ids[3])
        last = page(ids[1], 2)
        assert [p.id for p in last.items] == [ids[0]]
        assert last.next_cursor is None
        exact = page(None, 5)
        assert exact.next_cursor is None
