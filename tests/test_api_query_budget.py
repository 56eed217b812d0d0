"""API reads run a fixed number of SQL statements, whatever the page holds.

GET /api/feed (the benchmarked endpoint) is the token lookup with its user
joined, plus one statement for the page of posts with their authors, the
authors of the posts they answer, their mentions and tags and "liked by
me". User pages add one statement for every user's counts; notifications
one for the posts they are about.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User
from app.services import likes, posts, social
from tests.api_helpers import bearer, obtain_token
from tests.factories import UserFactory
from tests.statements import count_statements


@pytest.fixture
def app(make_app):
    """The budget is for rendering a page; a cached page runs fewer still."""
    return make_app(CACHE_TYPE="NullCache")


def grow(app, authors: int) -> dict[str, int]:
    """``john`` follows ``authors`` new users who follow him back and post a
    reply to john's root post that mentions him, tags it and is liked by
    him, and like his root post (each a notification for john)."""
    with app.app_context():
        john = db.session.scalar(sa.select(User).where(User.username == "john"))
        root = db.session.scalar(
            sa.select(Post).where(Post.user_id == john.id).order_by(Post.id)
        )
        if root is None:
            root = posts.publish(john, "the root post #grow")
        for _ in range(authors):
            author = UserFactory()
            reply = posts.publish(
                author, f"by {author.username} @john #grow", in_reply_to=root.id
            )
            likes.like(john, reply.id)
            likes.like(author, root.id)
            social.follow(john, author)
            social.follow(author, john)
        return {"john": john.id, "root": root.id}


@pytest.mark.parametrize(
    ("path", "budget"),
    [
        ("/api/feed", 2),
        ("/api/posts", 2),
        ("/api/users/{john}/posts", 3),
        ("/api/users/{john}/followers", 4),
        ("/api/users/{john}/following", 4),
        ("/api/me", 2),
        ("/api/posts/{root}", 2),
        ("/api/posts/{root}/replies", 3),
        ("/api/posts/{root}/likes", 4),
        ("/api/tags/grow/posts", 2),
        ("/api/notifications", 3),
    ],
)
def test_statement_count_does_not_grow_with_the_page(client, app, user, path, budget):
    token = obtain_token(client, "john")
    # Warm up: last_seen is written on the first authenticated request.
    client.get("/api/me", headers=bearer(token))
    counts = []
    for authors in (1, 20):
        ids = grow(app, authors)
        with count_statements(app) as statements:
            response = client.get(path.format(**ids), headers=bearer(token))
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] <= budget, counts
