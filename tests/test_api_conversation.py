"""The conversation in the API: replies, edits, likes, tags, notifications."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Like, Post, User
from tests.api_helpers import bearer, obtain_token


@pytest.fixture
def tokens(client, make_user):
    for name in ("alice", "bob"):
        make_user(name)
    return {name: bearer(obtain_token(client, name)) for name in ("alice", "bob")}


def post(client, headers, body, **extra):
    return client.post("/api/posts", json={"body": body, **extra}, headers=headers)


def test_a_reply_mentions_and_tags_show_in_the_post(client, tokens):
    root = post(client, tokens["alice"], "root #Birds").get_json()
    assert root["tags"] == ["birds"]
    assert root["in_reply_to"] is None
    response = post(client, tokens["bob"], "@alice yes! #birds", in_reply_to=root["id"])
    assert response.status_code == 201
    reply = response.get_json()
    assert reply["in_reply_to"] == root["id"]
    assert reply["mentions"] == ["alice"]
    assert reply["tags"] == ["birds"]
    again = client.get(f"/api/posts/{root['id']}", headers=tokens["alice"]).get_json()
    assert again["reply_count"] == 1
    replies = client.get(
        f"/api/posts/{root['id']}/replies", headers=tokens["alice"]
    ).get_json()
    assert [item["id"] for item in replies["items"]] == [reply["id"]]
    tagged = client.get("/api/tags/BIRDS/posts", headers=tokens["alice"]).get_json()
    assert [item["id"] for item in tagged["items"]] == [reply["id"], root["id"]]


def test_replies_page_oldest_first_with_a_cursor(client, tokens):
    root = post(client, tokens["alice"], "root").get_json()["id"]
    ids = [
        post(client, tokens["bob"], f"reply {n}", in_reply_to=root).get_json()["id"]
        for n in range(5)
    ]
    first = client.get(
        f"/api/posts/{root}/replies?limit=2", headers=tokens["bob"]
    ).get_json()
    assert [item["id"] for item in first["items"]] == ids[:2]
    rest = client.get(
        f"/api/posts/{root}/replies?limit=10&cursor={first['next_cursor']}",
        headers=tokens["bob"],
    ).get_json()
    assert [item["id"] for item in rest["items"]] == ids[2:]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize("in_reply_to", [999999, 2**31 - 1])
def test_a_reply_to_an_unknown_post_is_404(client, tokens, in_reply_to):
    response = post(client, tokens["bob"], "hello?", in_reply_to=in_reply_to)
    assert response.status_code == 404
    assert response.get_json()["message"]


@pytest.mark.parametrize("in_reply_to", [0, -1, 2**31, "one", 1.5])
def test_a_bad_in_reply_to_is_422(client, tokens, in_reply_to):
    response = post(client, tokens["bob"], "hello?", in_reply_to=in_reply_to)
    assert response.status_code == 422
    assert "in_reply_to" in response.get_json()["detail"]["json"]


def test_the_author_edits_through_patch(app, client, tokens):
    created = post(client, tokens["alice"], "first @bob").get_json()
    url = f"/api/posts/{created['id']}"
    response = client.patch(url, json={"body": "second #new"}, headers=tokens["alice"])
    assert response.status_code == 200
    edited = response.get_json()
    assert edited["body"] == "second #new"
    assert edited["edited_at"].endswith("Z")
    assert edited["mentions"] == []
    assert edited["tags"] == ["new"]
    forbidden = client.patch(url, json={"body": "mine now"}, headers=tokens["bob"])
    assert forbidden.status_code == 403
    for body in ("", "x" * 281, "a\u0000b"):
        bad = client.patch(url, json={"body": body}, headers=tokens["alice"])
        assert bad.status_code == 422
        assert "body" in bad.get_json()["detail"]["json"]
    missing = client.patch(
        "/api/posts/999999", json={"body": "x"}, headers=tokens["alice"]
    )
    assert missing.status_code == 404
    with app.app_context():
        assert db.session.get(Post, created["id"]).body == "second #new"


def test_like_and_unlike_are_idempotent(app, client, tokens):
    post_id = post(client, tokens["alice"], "like me").get_json()["id"]
    url = f"/api/posts/{post_id}/like"
    for _ in range(2):
        response = client.put(url, headers=tokens["bob"])
        assert response.status_code == 204
        assert response.data == b""
    shown = client.get(f"/api/posts/{post_id}", headers=tokens["bob"]).get_json()
    assert (shown["like_count"], shown["liked"]) == (1, True)
    by_alice = client.get(f"/api/posts/{post_id}", headers=tokens["alice"]).get_json()
    assert by_alice["liked"] is False
    likers = client.get(f"/api/posts/{post_id}/likes", headers=tokens["alice"])
    assert [item["username"] for item in likers.get_json()["items"]] == ["bob"]
    for _ in range(2):
        assert client.delete(url, headers=tokens["bob"]).status_code == 204
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Like)) == 0
        assert db.session.get(Post, post_id).like_count == 0
    assert (
        client.put("/api/posts/999999/like", headers=tokens["bob"]).status_code == 404
    )
    assert client.put(url).status_code == 401


def test_notifications_page_unread_filter_and_read_all(client, tokens):
    post_id = post(client, tokens["alice"], "hi").get_json()["id"]
    client.put(f"/api/posts/{post_id}/like", headers=tokens["bob"])
    post(client, tokens["bob"], "hey @alice")
    page = client.get("/api/notifications", headers=tokens["alice"]).get_json()
    assert [item["kind"] for item in page["items"]] == ["mention", "like"]
    like = page["items"][1]
    assert like["actor"]["username"] == "bob"
    assert set(like["actor"]) == {"id", "username", "avatar_url"}
    assert like["post"]["id"] == post_id
    assert like["read"] is False
    assert client.get("/api/notifications", headers=tokens["bob"]).get_json() == {
        "items": [],
        "next_cursor": None,
    }
    response = client.post("/api/notifications/read", headers=tokens["alice"])
    assert response.status_code == 204
    unread = client.get(
        "/api/notifications?unread=true", headers=tokens["alice"]
    ).get_json()
    assert unread["items"] == []
    everything = client.get("/api/notifications", headers=tokens["alice"]).get_json()
    assert [item["read"] for item in everything["items"]] == [True, True]


def test_a_follow_notification_has_no_post(app, client, tokens):
    with app.app_context():
        alice_id = db.session.scalar(sa.select(User.id).where(User.username == "alice"))
    client.put(f"/api/me/following/{alice_id}", headers=tokens["bob"])
    items = client.get("/api/notifications", headers=tokens["alice"]).get_json()[
        "items"
    ]
    assert [(item["kind"], item["post"]) for item in items] == [("follow", None)]


def test_a_tag_that_is_not_a_tag_is_404(client, tokens):
    response = client.get("/api/tags/" + "a" * 65 + "/posts", headers=tokens["bob"])
    assert response.status_code == 404
    assert client.get("/api/tags/ok/posts", headers=tokens["bob"]).status_code == 200


def test_notification_pages_have_the_documented_fields(app, client, tokens):
    """Built without marshmallow; every field the schema documents is there."""
    from app.api.schemas import AuthorOut, NotificationOut, PostOut

    post_id = post(client, tokens["alice"], "hi #x").get_json()["id"]
    client.put(f"/api/posts/{post_id}/like", headers=tokens["bob"])
    page = client.get("/api/notifications", headers=tokens["alice"]).get_json()
    (item,) = page["items"]
    assert set(item) == set(NotificationOut().fields)
    assert set(item["actor"]) == set(AuthorOut().fields)
    assert set(item["post"]) == set(PostOut().fields)
    assert set(item["post"]["author"]) == set(AuthorOut().fields)
