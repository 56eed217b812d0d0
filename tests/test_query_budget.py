"""A page runs a fixed, small number of SQL statements, whatever it shows.

Budget: at most 6 statements per page, and the same number for 25 posts from
25 authors as for one post. Today: feed, explore and a tag 3 (the logged-in
user, the unread notification and message counts in one statement, the
page's posts with their authors, mentions, tags, counts and "liked by me"),
follower lists 4, a profile 5, a thread 5 (the post, the chain above it, its
replies), notifications 5, a search 3; messages 3 and a conversation 5
(tests/test_messages.py).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User
from app.services import likes, posts, social
from tests.statements import count_statements
from tests.test_posts import post_ids

BUDGET = 6


@pytest.fixture
def app(make_app):
    """The budget is for rendering a page; a cached page runs fewer still."""
    return make_app(CACHE_TYPE="NullCache")


def build_world(app, authors: int, prefix: str = "author") -> None:
    """``viewer`` follows ``authors`` new users and is followed by them; each
    posted once, a reply to star's first post that mentions the viewer and
    star, tags it and is liked by the viewer (a notification each), and
    ``star`` posted once more per new user."""
    with app.app_context():
        viewer = db.session.scalar(sa.select(User).where(User.username == "viewer"))
        star = db.session.scalar(sa.select(User).where(User.username == "star"))
        root = db.session.scalar(
            sa.select(Post).where(Post.user_id == star.id).order_by(Post.id)
        ) or posts.publish(star, "the first post #world")
        new = []
        for i in range(authors):
            author = User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com")
            author.password_hash = viewer.password_hash
            new.append(author)
            db.session.add(author)
        db.session.commit()
        for author in new:
            reply = posts.publish(
                author,
                f"post by {author.username} @viewer @star #world",
                in_reply_to=root.id,
            )
            likes.like(viewer, reply.id)
            posts.publish(star, f"star post {author.username} #world")
            social.follow(viewer, author)
            social.follow(author, viewer)


PAGES = [
    "/",
    "/explore",
    "/user/star",
    "/user/viewer/followers",
    "/user/viewer/following",
    "/tag/world",
    "/post/1",
    "/notifications",
    "/search?q=post",
    "/search?q=%23world+%40viewer",
]


def statements_per_page(app, client) -> dict[str, int]:
    counts = {}
    for path in PAGES:
        client.get(path)  # warm up: first-request work is not per page
        with count_statements(app) as statements:
            response = client.get(path)
        assert response.status_code == 200
        counts[path] = len(statements)
    return counts


@pytest.fixture
def viewer_client(app, client, auth, make_user):
    make_user("viewer")
    make_user("star")
    auth.login("viewer")
    return client


def test_pages_with_25_posts_from_25_authors_stay_within_budget(app, viewer_client):
    build_world(app, 25)
    # The pages really show 25 posts from 25 different authors.
    feed = viewer_client.get("/").get_data(as_text=True)
    assert len(post_ids(viewer_client.get("/"))) == 25
    assert len({f"author{i}" for i in range(25) if f">author{i}<" in feed}) == 25
    counts = statements_per_page(app, viewer_client)
    assert max(counts.values()) <= BUDGET, counts


def test_statement_count_does_not_grow_with_rows(app, viewer_client):
    build_world(app, 1)
    few = statements_per_page(app, viewer_client)
    build_world(app, 30, prefix="more")
    many = statements_per_page(app, viewer_client)
    assert many == few


@pytest.mark.parametrize("path", ["/", "/?before=1000", "/user/star"])
def test_feed_and_profile_read_the_author_index_not_the_table(app, viewer_client, path):
    """Page cost must not grow with the number of posts: no full scans."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    build_world(app, 3)
    with count_statements(app) as statements:
        assert viewer_client.get(path).status_code == 200
    page_query = next(s for s in statements if "FROM posts" in s)
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            # Any value will do for the plan; only the shape matters.
            params = (1,) * page_query.count("?")
            plan = [
                row[3]
                for row in cursor.execute(f"EXPLAIN QUERY PLAN {page_query}", params)
            ]
        finally:
            raw.close()
    assert any("ix_posts_user_id_id" in step for step in plan), plan
    assert not any(step.startswith("SCAN posts") for step in plan), plan
