"""Posts in the API: publish, read, delete, explore and the feed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.media_models import Media
from app.models import Post, User
from app.services import media, social
from tests.api_helpers import bearer, obtain_token
from tests.factories import PostFactory
from tests.media_helpers import image_bytes

POST_KEYS = {
    "id",
    "body",
    "created_at",
    "author",
    "in_reply_to",
    "reply_count",
    "like_count",
    "liked",
    "edited_at",
    "mentions",
    "tags",
    "media",
}


@pytest.fixture
def token(client, user) -> str:
    return obtain_token(client, "john")


def _bodies(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(Post.body).order_by(Post.id)))


def _make_posts(app, username, bodies):
    with app.app_context():
        author = db.session.scalar(sa.select(User).where(User.username == username))
        ids = []
        for body in bodies:
            ids.append(PostFactory(author=author, body=body).id)
        return ids


def test_create_post_trims_and_returns_201(client, app, token, user):
    response = client.post(
        "/api/posts", json={"body": "  first!\r\nsecond line  "}, headers=bearer(token)
    )
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == POST_KEYS
    assert body["body"] == "first!\nsecond line"
    assert body["author"] == {
        "id": user.id,
        "username": "john",
        "avatar_url": body["author"]["avatar_url"],
    }
    assert body["author"]["avatar_url"].startswith("https://www.gravatar.com/avatar/")
    assert body["created_at"].endswith("Z")
    assert _bodies(app) == ["first!\nsecond line"]


def test_post_of_exactly_280_characters_is_accepted(client, token):
    response = client.post(
        "/api/posts", json={"body": "x" * 280}, headers=bearer(token)
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"body": ""},
        {"body": "   \n\t "},
        {"body": "x" * 281},
        {"body": "nul \x00 inside"},
        {"body": "escape \x1b[31m"},
        {"body": 42},
        {"body": ["a"]},
        {"body": None},
        {"body": "ok", "author_id": 2},
    ],
    ids=[
        "missing",
        "empty",
        "blank",
        "too-long",
        "nul",
        "escape",
        "number",
        "list",
        "null",
        "unknown-field",
    ],
)
def test_create_post_rejects_bad_body(client, app, token, payload):
    response = client.post("/api/posts", json=payload, headers=bearer(token))
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "Validation error"
    assert body["detail"]["json"]
    assert _bodies(app) == []


def test_create_post_requires_a_token(client, app, user):
    assert client.post("/api/posts", json={"body": "hi"}).status_code == 401
    assert _bodies(app) == []


def test_get_post(client, app, token, make_user):
    make_user("mary")
    [post_id] = _make_posts(app, "mary", ["hello <script>"])
    response = client.get(f"/api/posts/{post_id}", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["body"] == "hello <script>"
    assert body["author"]["username"] == "mary"


def test_get_unknown_post_is_404(client, token):
    response = client.get("/api/posts/12345", headers=bearer(token))
    assert response.status_code == 404
    assert response.get_json()["message"]


def test_author_deletes_own_post(client, app, token):
    [post_id] = _make_posts(app, "john", ["bye"])
    response = client.delete(f"/api/posts/{post_id}", headers=bearer(token))
    assert response.status_code == 204
    assert _bodies(app) == []
    assert (
        client.delete(f"/api/posts/{post_id}", headers=bearer(token)).status_code == 404
    )


def test_deleting_someone_elses_post_is_403(client, app, token, make_user):
    make_user("mary")
    [post_id] = _make_posts(app, "mary", ["mine"])
    response = client.delete(f"/api/posts/{post_id}", headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()["message"]
    assert _bodies(app) == ["mine"]


def test_delete_requires_a_token(client, app, user):
    [post_id] = _make_posts(app, "john", ["keep"])
    assert client.delete(f"/api/posts/{post_id}").status_code == 401
    assert _bodies(app) == ["keep"]


def test_explore_lists_everyone_newest_first_with_cursor(client, app, token, make_user):
    make_user("mary")
    _make_posts(app, "john", ["j1"])
    _make_posts(app, "mary", ["m1", "m2"])
    _make_posts(app, "john", ["j2"])
    first = client.get("/api/posts?limit=3", headers=bearer(token)).get_json()
    assert [p["body"] for p in first["items"]] == ["j2", "m2", "m1"]
    assert isinstance(first["next_cursor"], str)
    second = client.get(
        f"/api/posts?limit=3&cursor={first['next_cursor']}", headers=bearer(token)
    ).get_json()
    assert [p["body"] for p in second["items"]] == ["j1"]
    assert second["next_cursor"] is None


def test_page_size_defaults_to_posts_per_page(make_app, make_user):
    app = make_app(POSTS_PER_PAGE="2")
    client = app.test_client()
    make_user("john")
    _make_posts(app, "john", ["a", "b", "c"])
    body = client.get(
        "/api/posts", headers=bearer(obtain_token(client, "john"))
    ).get_json()
    assert [p["body"] for p in body["items"]] == ["c", "b"]
    assert body["next_cursor"]


def test_posts_added_while_paging_do_not_shift_pages(client, app, token):
    _make_posts(app, "john", ["1", "2", "3", "4"])
    first = client.get("/api/posts?limit=2", headers=bearer(token)).get_json()
    _make_posts(app, "john", ["5"])
    second = client.get(
        f"/api/posts?limit=2&cursor={first['next_cursor']}", headers=bearer(token)
    ).get_json()
    assert [p["body"] for p in first["items"] + second["items"]] == ["4", "3", "2", "1"]


def test_feed_has_own_and_followed_posts_only(client, app, token, user, make_user):
    mary, _ = make_user("mary"), make_user("stranger")
    _make_posts(app, "mary", ["from mary"])
    _make_posts(app, "stranger", ["from stranger"])
    _make_posts(app, "john", ["from john"])
    with app.app_context():
        social.follow(db.session.get(User, user.id), db.session.get(User, mary.id))
    body = client.get("/api/feed", headers=bearer(token)).get_json()
    assert [p["body"] for p in body["items"]] == ["from john", "from mary"]
    assert body["next_cursor"] is None


@pytest.mark.parametrize("path", ["/api/posts", "/api/feed", "/api/posts/1"])
def test_reading_posts_requires_a_token(client, app, user, path):
    _make_posts(app, "john", ["secret"])
    response = client.get(path)
    assert response.status_code == 401
    assert "secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize("provider", ["local", "gravatar"])
def test_post_pages_match_the_documented_schema(make_app, provider):
    """Pages are built without marshmallow; they must equal its dump exactly."""
    from app.api.schemas import PostOut
    from app.services import likes, posts
    from tests.factories import UserFactory

    app = make_app(AVATAR_PROVIDER=provider)
    with app.app_context():
        john = UserFactory(username="john")
        mary = UserFactory(username="mary", email="Mary.Upper@example.com")
        social.follow(john, mary)
        for n in range(4):
            author = mary if n % 2 else john
            posts.publish(author, f"post <{n}> & more, @john @mary #Tag{n % 2} #wren")
        first = db.session.scalar(sa.select(Post).order_by(Post.id))
        picture = media.accept(image_bytes(), "a wren", "images")
        posts.publish(mary, "a reply", in_reply_to=first.id, uploads=[picture])
        posts.edit(first, john, "edited, @mary #wren")
        likes.like(john, first.id)
        mary_id, first_id = mary.id, first.id
    client = app.test_client()
    headers = bearer(obtain_token(client, "john"))
    seen = set()
    for path in ("/api/feed?limit=3", "/api/posts", f"/api/users/{mary_id}/posts"):
        page = client.get(path, headers=headers).get_json()
        assert page["items"], path
        with app.test_request_context(path):
            for item in page["items"]:
                post = db.session.get(Post, item["id"])
                shown = SimpleNamespace(
                    id=post.id,
                    body=post.body,
                    created_at=post.created_at,
                    author=post.author,
                    in_reply_to=post.in_reply_to_id,
                    reply_count=post.reply_count,
                    like_count=post.like_count,
                    liked=post.id == first_id,
                    edited_at=post.edited_at,
                    mentions=sorted(
                        name for name in ("john", "mary") if f"@{name}" in post.body
                    ),
                    tags=sorted(
                        tag
                        for tag in ("tag0", "tag1", "wren")
                        if f"#{tag}" in post.body.lower()
                    ),
                    media=[
                        SimpleNamespace(
                            id=row.id,
                            url=f"/media/{row.name}",
                            thumbnail_url=f"/media/{row.thumbnail_name}",
                            alt=row.alt,
                            width=row.width,
                            height=row.height,
                        )
                        for row in db.session.scalars(
                            sa.select(Media).where(Media.post_id == post.id)
                        )
                    ],
                )
                assert item == PostOut().dump(shown), path
                seen.update(key for key, value in item.items() if value)
    # Every field was seen with a value, so the comparison covered it.
    assert seen == POST_KEYS
    assert (
        len(client.get("/api/feed?limit=3", headers=headers).get_json()["items"]) == 3
    )


def test_lone_surrogate_in_json_is_a_bad_request(client, token):
    # Valid JSON syntax, but the string is not Unicode: refused while parsing.
    response = client.post(
        "/api/posts",
        data='{"body": "lone \\ud800 surrogate"}',
        content_type="application/json",
        headers=bearer(token),
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["message"]
