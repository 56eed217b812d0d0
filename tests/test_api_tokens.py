"""POST/DELETE /api/tokens: HTTP Basic in, opaque expiring bearer token out."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, User
from app.services import api_tokens
from tests.api_helpers import basic, bearer, obtain_token
from tests.factories import DEFAULT_PASSWORD


def test_basic_auth_with_username_issues_a_token(client, user, app):
    before = datetime.now(UTC)
    response = client.post("/api/tokens", headers=basic("john"))
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=59) < expires - before <= timedelta(hours=1, seconds=5)
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken))
        # Only the digest is stored, never the token itself.
        assert row.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
        assert body["token"] not in row.token_hash
        assert row.user_id == user.id


def test_basic_auth_with_email_issues_a_token(client, user):
    assert (
        client.get(
            "/api/me", headers=bearer(obtain_token(client, "JOHN@example.com"))
        ).status_code
        == 200
    )


def test_tokens_are_random_and_distinct(client, user):
    first, second = obtain_token(client, "john"), obtain_token(client, "john")
    assert first != second
    assert len(first) >= 40


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("john", "wrong password"),
        basic("nobody", "correct horse battery staple"),
        {"Authorization": "Bearer something"},
        {"Authorization": "Basic !!!not-base64"},
    ],
    ids=["none", "wrong-password", "unknown-user", "bearer", "garbage"],
)
def test_bad_credentials_get_401_with_basic_challenge(client, user, headers):
    response = client.post("/api/tokens", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert response.is_json
    assert response.get_json()["message"]


def test_wrong_password_and_unknown_user_look_the_same(client, user):
    wrong = client.post("/api/tokens", headers=basic("john", "wrong password"))
    unknown = client.post("/api/tokens", headers=basic("nobody", "wrong password"))
    assert wrong.get_json() == unknown.get_json()
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


def test_delete_revokes_only_that_token(client, user):
    kept, revoked = obtain_token(client, "john"), obtain_token(client, "john")
    response = client.delete("/api/tokens", headers=bearer(revoked))
    assert response.status_code == 204
    assert response.data == b""
    after = client.get("/api/me", headers=bearer(revoked))
    assert after.status_code == 401
    assert 'error="invalid_token"' in after.headers["WWW-Authenticate"]
    assert client.get("/api/me", headers=bearer(kept)).status_code == 200


def test_delete_needs_a_bearer_token(client, user):
    response = client.delete("/api/tokens", headers=basic("john"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_expired_token_is_rejected(make_app, make_user):
    app = make_app(API_TOKEN_MAX_AGE="60")
    client = app.test_client()
    make_user("john")
    token = obtain_token(client, "john")
    assert client.get("/api/me", headers=bearer(token)).status_code == 200
    with app.app_context():
        db.session.execute(
            sa.update(ApiToken).values(
                expires_at=datetime.now(UTC) - timedelta(seconds=1)
            )
        )
        db.session.commit()
    response = client.get("/api/me", headers=bearer(token))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_expiry_follows_config(make_app, make_user):
    app = make_app(API_TOKEN_MAX_AGE="120")
    make_user("john")
    body = app.test_client().post("/api/tokens", headers=basic("john")).get_json()
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert expires - datetime.now(UTC) <= timedelta(seconds=121)


def test_issuing_purges_the_users_expired_tokens(client, user, app):
    obtain_token(client, "john")
    with app.app_context():
        db.session.execute(
            sa.update(ApiToken).values(
                expires_at=datetime.now(UTC) - timedelta(seconds=1)
            )
        )
        db.session.commit()
    obtain_token(client, "john")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def test_revoke_all_ends_every_token_of_that_user_only(client, app, make_user):
    make_user("john")
    make_user("mary")
    johns = [obtain_token(client, "john") for _ in range(2)]
    marys = obtain_token(client, "mary")
    with app.app_context():
        john = db.session.scalar(sa.select(User).where(User.username == "john"))
        api_tokens.revoke_all(john)
    for token in johns:
        assert client.get("/api/me", headers=bearer(token)).status_code == 401
    assert client.get("/api/me", headers=bearer(marys)).status_code == 200


def test_deleting_the_user_deletes_their_tokens(client, app, user):
    token = obtain_token(client, "john")
    with app.app_context():
        db.session.delete(db.session.get(User, user.id))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    assert client.get("/api/me", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer " + "x" * 500, "Token abc", "bearer"],
)
def test_malformed_bearer_headers_are_401(client, user, header):
    response = client.get("/api/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert response.get_json()["message"]


def test_token_issue_is_rate_limited_per_client(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED="true", RATELIMIT_API_TOKENS="2/minute")
    client = app.test_client()
    make_user("john")
    statuses = [
        client.post("/api/tokens", headers=basic("john", "wrong password")).status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
    limited = client.post("/api/tokens", headers=basic("john"))
    assert limited.status_code == 429
    assert limited.is_json
    assert limited.get_json()["message"]
    assert int(limited.headers["Retry-After"]) > 0
    # Another client is not affected (with another account: john's own
    # attempts are limited whatever the client, see test_ratelimit.py).
    make_user("susan")
    other = client.post(
        "/api/tokens", headers=basic("susan"), environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert other.status_code == 201


def test_using_a_token_records_last_seen(make_app, make_user):
    app = make_app(LAST_SEEN_INTERVAL="0")
    client = app.test_client()
    user = make_user("john")
    token = obtain_token(client, "john")
    client.get("/api/me", headers=bearer(token))
    with app.app_context():
        assert db.session.get(User, user.id).last_seen > user.last_seen


def test_changing_the_password_revokes_every_token(client, auth, user):
    token = obtain_token(client, "john")
    auth.login("john")
    auth.post_form(
        "/settings/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "password": "a brand new passphrase",
            "password2": "a brand new passphrase",
        },
    )
    assert client.get("/api/me", headers=bearer(token)).status_code == 401
    assert obtain_token(client, "john", "a brand new passphrase")


def test_deleting_the_account_revokes_every_token(client, auth, app, user):
    token = obtain_token(client, "john")
    auth.login("john")
    auth.post_form("/settings/delete", {"password": DEFAULT_PASSWORD})
    with app.app_context():
        assert db.session.get(User, user.id) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    assert client.get("/api/me", headers=bearer(token)).status_code == 401
