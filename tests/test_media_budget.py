"""Pictures cost a page at most one statement, and only when it shows some.

The pages' budgets are tests/test_query_budget.py's and
tests/test_api_query_budget.py's: a page without pictures runs what it ran
before pictures existed (posts.media_count says there are none to read); a
page with pictures adds one ``WHERE post_id IN (...)`` read for all of them.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.services import media, posts, social
from tests.api_helpers import bearer, obtain_token
from tests.media_helpers import image_bytes
from tests.statements import count_statements
from tests.test_query_budget import build_world

PAGES = ["/", "/explore", "/user/star", "/tag/world", "/search?q=star"]
API_PAGES = ["/api/feed", "/api/posts"]


@pytest.fixture
def app(make_app):
    return make_app(CACHE_TYPE="NullCache")


@pytest.fixture
def viewer_client(app, client, auth, make_user):
    make_user("viewer")
    make_user("star")
    auth.login("viewer")
    return client


def statements(app, client, paths, headers=None) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        client.get(path, headers=headers)  # warm up
        with count_statements(app) as seen:
            assert client.get(path, headers=headers).status_code == 200
        found[path] = list(seen)
    return found


def add_pictures(app, posts_with: int) -> None:
    """``star`` posts ``posts_with`` posts of 1 to 4 pictures each."""
    with app.test_request_context():
        star = db.session.scalar(sa.select(User).where(User.username == "star"))
        viewer = db.session.scalar(sa.select(User).where(User.username == "viewer"))
        if not viewer.is_following(star):
            social.follow(viewer, star)  # so the feed shows them
        for n in range(posts_with):
            uploads = [
                media.accept(image_bytes("PNG", (40 + n, 30 + i)), f"p{i}", "images")
                for i in range(n % 4 + 1)
            ]
            posts.publish(star, f"star pictures {n} #world", uploads=uploads)


def media_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if "FROM media" in s]


def test_pages_with_pictures_add_one_statement(app, viewer_client):
    build_world(app, 5)
    token = obtain_token(viewer_client, "viewer")
    without = statements(app, viewer_client, PAGES)
    api_without = statements(app, viewer_client, API_PAGES, bearer(token))
    for seen in [*without.values(), *api_without.values()]:
        assert media_reads(seen) == []

    add_pictures(app, 6)
    with_pictures = statements(app, viewer_client, PAGES)
    api_with = statements(app, viewer_client, API_PAGES, bearer(token))
    for path, seen in [*with_pictures.items(), *api_with.items()]:
        before = {**without, **api_without}[path]
        assert len(media_reads(seen)) == 1, path
        assert len(seen) == len(before) + 1, (path, seen)
    page = viewer_client.get("/").get_data(as_text=True)
    assert page.count('class="post-media ') == 6


def test_a_page_without_pictures_reads_no_media_even_when_others_have_some(
    app, viewer_client
):
    build_world(app, 3)
    add_pictures(app, 2)
    with app.app_context():
        first = db.session.scalar(sa.select(User.id).where(User.username == "author0"))
    assert first is not None
    seen = statements(app, viewer_client, ["/user/author0"])["/user/author0"]
    assert media_reads(seen) == []


def test_a_thread_reads_the_pictures_above_in_and_below_a_post_at_once(
    app, viewer_client
):
    with app.test_request_context():
        star = db.session.scalar(sa.select(User).where(User.username == "star"))

        def chain(with_pictures: bool) -> int:
            ids = []
            for n in range(3):
                uploads = (
                    [media.accept(image_bytes("PNG", (20 + n, 20)), "", "images")]
                    if with_pictures
                    else []
                )
                parent = ids[-1] if ids else None
                post = posts.publish(star, f"link {n}", parent, uploads=uploads)
                ids.append(post.id)
            return ids[1]  # the middle: one post above, one reply below

        plain, pictured = chain(False), chain(True)
    without = statements(app, viewer_client, [f"/post/{plain}"])[f"/post/{plain}"]
    seen = statements(app, viewer_client, [f"/post/{pictured}"])[f"/post/{pictured}"]
    assert media_reads(without) == []
    assert len(media_reads(seen)) == 1
    assert len(seen) == len(without) + 1
    page = viewer_client.get(f"/post/{pictured}").get_data(as_text=True)
    assert page.count('class="post-media ') == 3
