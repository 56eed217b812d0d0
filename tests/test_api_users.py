"""Users in the API: registration, profiles, /api/me, follower lists, following."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User, follows
from app.services import social
from tests.api_helpers import bearer, obtain_token
from tests.factories import PostFactory

USER_KEYS = {
    "id",
    "username",
    "about_me",
    "avatar_url",
    "created_at",
    "last_seen",
    "post_count",
    "follower_count",
    "following_count",
}
NEW_USER = {
    "username": "jenny_wren",
    "email": "Jenny@Example.com",
    "password": "a long and memorable phrase",
}


@pytest.fixture
def token(client, user) -> str:
    return obtain_token(client, "john")


def outbox(app):
    return app.extensions["mailman"].outbox


def _user_row(app, username):
    with app.app_context():
        row = db.session.scalar(sa.select(User).where(User.username == username))
        if row is not None:
            db.session.expunge(row)
        return row


# --- POST /api/users ---------------------------------------------------------


def test_register_creates_account_and_mails_confirmation(client, app):
    response = client.post("/api/users", json=NEW_USER)
    assert response.status_code == 202
    assert set(response.get_json()) == {"message"}
    row = _user_row(app, "jenny_wren")
    assert row.email == "jenny@example.com"
    assert row.email_confirmed_at is None
    assert row.check_password(NEW_USER["password"])
    assert [m.to for m in outbox(app)] == [["jenny@example.com"]]
    # The new account can obtain a token straight away.
    assert obtain_token(client, "jenny_wren", NEW_USER["password"])


def test_register_with_taken_email_creates_nothing_and_tells_the_owner(
    client, app, user
):
    response = client.post("/api/users", json={**NEW_USER, "email": "JOHN@example.com"})
    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"message"}
    assert "taken" not in body["message"].lower()
    assert "exists" not in body["message"].lower()
    assert _user_row(app, "jenny_wren") is None
    mails = outbox(app)
    assert len(mails) == 1
    assert mails[0].to == ["john@example.com"]
    assert "tried to register" in mails[0].subject


def test_register_answers_alike_for_new_and_taken_addresses(client, app, user):
    """Nothing in the answer tells whether someone holds the address."""
    new = client.post("/api/users", json=NEW_USER)
    taken = client.post(
        "/api/users",
        json={**NEW_USER, "username": "mary", "email": "John@Example.com"},
    )
    assert new.status_code == taken.status_code == 202
    assert new.get_json() == taken.get_json()

    def shape(response):
        varying = {"date", "x-request-id", "content-length"}
        return sorted(
            (k, v) for k, v in response.headers.items() if k.lower() not in varying
        )

    assert shape(new) == shape(taken)
    assert _user_row(app, "jenny_wren") is not None
    assert _user_row(app, "mary") is None
    assert sorted(m.to[0] for m in outbox(app)) == [
        "jenny@example.com",
        "john@example.com",
    ]


def test_register_with_taken_username_is_422_on_username(client, user):
    response = client.post(
        "/api/users",
        json={**NEW_USER, "username": "JOHN", "email": "other@example.com"},
    )
    assert response.status_code == 422
    assert list(response.get_json()["detail"]["json"]) == ["username"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "no spaces please"}, "username"),
        ({"username": "ab"}, "username"),
        ({"username": "x" * 33}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@" + "b" * 250 + ".com"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"password": "password123"}, "password"),
        ({"password": "jenny_wren"}, "password"),
        ({"password": "tab\tin the password"}, "password"),
        ({"username": 12345}, "username"),
        ({"username": None}, "username"),
        ({"nickname": "extra"}, "nickname"),
    ],
)
def test_register_rejects_bad_fields(client, app, changes, field):
    response = client.post("/api/users", json={**NEW_USER, **changes})
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "Validation error"
    assert field in body["detail"]["json"]
    assert all(isinstance(m, str) for m in body["detail"]["json"][field])
    assert _user_row(app, "jenny_wren") is None


def test_register_requires_every_field(client):
    response = client.post("/api/users", json={})
    assert response.status_code == 422
    assert set(response.get_json()["detail"]["json"]) == {
        "username",
        "email",
        "password",
    }


def test_register_password_is_never_echoed(client):
    response = client.post("/api/users", json=NEW_USER)
    assert NEW_USER["password"] not in response.get_data(as_text=True)


# --- GET /api/users/<id> -----------------------------------------------------


def test_get_user_shows_public_profile_with_counts(client, app, token, make_user):
    mary = make_user("mary", about_me="Hi <b>there</b>")
    with app.app_context():
        PostFactory.create_batch(2, author=db.session.get(User, mary.id))
        john = db.session.scalar(sa.select(User).where(User.username == "john"))
        social.follow(john, db.session.get(User, mary.id))
    response = client.get(f"/api/users/{mary.id}", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == USER_KEYS
    assert "email" not in body
    assert body["about_me"] == "Hi <b>there</b>"
    assert (body["post_count"], body["follower_count"], body["following_count"]) == (
        2,
        1,
        0,
    )
    assert body["avatar_url"].startswith("https://www.gravatar.com/avatar/")


def test_get_user_avatar_is_local_with_local_provider(make_app, make_user):
    app = make_app(AVATAR_PROVIDER="local")
    client = app.test_client()
    john = make_user("john")
    body = client.get(
        f"/api/users/{john.id}", headers=bearer(obtain_token(client, "john"))
    ).get_json()
    assert body["avatar_url"].startswith("/avatar/")


@pytest.mark.parametrize("user_id", ["999", "0", str(2**31), str(2**63), "9" * 30])
def test_unknown_user_is_404_json(client, token, user_id):
    response = client.get(f"/api/users/{user_id}", headers=bearer(token))
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/users/1",
        "/api/users/1/posts",
        "/api/users/1/followers",
        "/api/users/1/following",
        "/api/me",
    ],
)
def test_reading_users_requires_a_token(client, user, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="Wren API"')
    assert "error=" not in response.headers["WWW-Authenticate"]
    assert response.get_json()["message"]


# --- /api/me -----------------------------------------------------------------


def test_me_includes_own_email_only(client, token, make_user):
    body = client.get("/api/me", headers=bearer(token)).get_json()
    assert set(body) == USER_KEYS | {"email", "email_confirmed"}
    assert body["email"] == "john@example.com"
    assert body["email_confirmed"] is True
    other = make_user("mary")
    assert (
        "email"
        not in client.get(f"/api/users/{other.id}", headers=bearer(token)).get_json()
    )


def test_patch_me_changes_username_and_about_me(client, app, token):
    response = client.patch(
        "/api/me",
        json={"username": "  johnny  ", "about_me": "  line one\r\nline two\tend  "},
        headers=bearer(token),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == "johnny"
    assert body["about_me"] == "line one\nline two\tend"
    row = _user_row(app, "johnny")
    assert row.about_me == "line one\nline two\tend"
    # The token still works after a username change.
    assert (
        client.get("/api/me", headers=bearer(token)).get_json()["username"] == "johnny"
    )


def test_patch_me_with_nothing_changes_nothing(client, app, token):
    response = client.patch("/api/me", json={}, headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["username"] == "john"


def test_patch_me_to_a_taken_username_is_422(client, app, token, make_user):
    make_user("mary")
    response = client.patch("/api/me", json={"username": "MARY"}, headers=bearer(token))
    assert response.status_code == 422
    assert "username" in response.get_json()["detail"]["json"]
    assert _user_row(app, "john") is not None


def test_patch_me_to_own_username_in_other_case_is_allowed(client, token):
    response = client.patch("/api/me", json={"username": "John"}, headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["username"] == "John"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"about_me": "x" * 281}, "about_me"),
        ({"about_me": "bell\x07"}, "about_me"),
        ({"about_me": "nul\x00"}, "about_me"),
        ({"about_me": None}, "about_me"),
        ({"username": "bad name"}, "username"),
        ({"email": "new@example.com"}, "email"),
    ],
)
def test_patch_me_rejects_bad_input(client, app, token, payload, field):
    response = client.patch("/api/me", json=payload, headers=bearer(token))
    assert response.status_code == 422
    assert field in response.get_json()["detail"]["json"]
    assert _user_row(app, "john").about_me == ""


def test_patch_me_requires_a_token(client, user):
    assert client.patch("/api/me", json={"about_me": "x"}).status_code == 401


# --- following -----------------------------------------------------------------


def _follows(app):
    with app.app_context():
        return set(
            db.session.execute(sa.select(follows.c.follower_id, follows.c.followed_id))
        )


def test_follow_and_unfollow_are_idempotent(client, app, token, user, make_user):
    mary = make_user("mary")
    for _ in range(2):
        response = client.put(f"/api/me/following/{mary.id}", headers=bearer(token))
        assert response.status_code == 204
        assert response.data == b""
        assert _follows(app) == {(user.id, mary.id)}
    for _ in range(2):
        assert (
            client.delete(
                f"/api/me/following/{mary.id}", headers=bearer(token)
            ).status_code
            == 204
        )
        assert _follows(app) == set()


def test_follow_self_is_refused(client, app, token, user):
    response = client.put(f"/api/me/following/{user.id}", headers=bearer(token))
    assert response.status_code == 422
    assert "yourself" in response.get_json()["message"]
    assert _follows(app) == set()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_follow_unknown_user_is_404(client, token, method):
    response = getattr(client, method)("/api/me/following/4242", headers=bearer(token))
    assert response.status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_following_requires_a_token(client, user, make_user, method):
    mary = make_user("mary")
    assert getattr(client, method)(f"/api/me/following/{mary.id}").status_code == 401


def test_followers_and_following_pages(client, app, token, user, make_user):
    mary = make_user("mary")
    fans = [make_user(f"fan{i}") for i in range(3)]
    with app.app_context():
        target = db.session.get(User, mary.id)
        for fan in fans:
            social.follow(db.session.get(User, fan.id), target)
        social.follow(target, db.session.get(User, user.id))

    first = client.get(
        f"/api/users/{mary.id}/followers?limit=2", headers=bearer(token)
    ).get_json()
    assert [u["username"] for u in first["items"]] == ["fan2", "fan1"]
    assert set(first["items"][0]) == USER_KEYS
    assert first["items"][0]["following_count"] == 1
    assert first["next_cursor"]
    rest = client.get(
        f"/api/users/{mary.id}/followers?limit=2&cursor={first['next_cursor']}",
        headers=bearer(token),
    ).get_json()
    assert [u["username"] for u in rest["items"]] == ["fan0"]
    assert rest["next_cursor"] is None

    following = client.get(
        f"/api/users/{mary.id}/following", headers=bearer(token)
    ).get_json()
    assert [u["username"] for u in following["items"]] == ["john"]
    assert following["items"][0]["follower_count"] == 1


@pytest.mark.parametrize("suffix", ["posts", "followers", "following"])
def test_lists_of_unknown_user_are_404(client, token, suffix):
    assert (
        client.get(f"/api/users/777/{suffix}", headers=bearer(token)).status_code == 404
    )


def test_user_posts_page(client, app, token, make_user):
    mary = make_user("mary")
    with app.app_context():
        author = db.session.get(User, mary.id)
        for i in range(3):
            PostFactory(author=author, body=f"mary {i}")
        PostFactory(body="someone else")
    body = client.get(f"/api/users/{mary.id}/posts", headers=bearer(token)).get_json()
    assert [p["body"] for p in body["items"]] == ["mary 2", "mary 1", "mary 0"]
    assert {p["author"]["username"] for p in body["items"]} == {"mary"}
    assert body["next_cursor"] is None


def test_registration_is_rate_limited_per_client(make_app):
    app = make_app(RATELIMIT_ENABLED="true", RATELIMIT_REGISTER="1/hour")
    client = app.test_client()
    assert client.post("/api/users", json=NEW_USER).status_code == 202
    response = client.post(
        "/api/users", json={**NEW_USER, "username": "other", "email": "o@example.com"}
    )
    assert response.status_code == 429
    assert response.get_json()["message"]
    assert _user_row(app, "other") is None
