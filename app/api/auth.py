"""API authentication: HTTP Basic to obtain a token, Bearer tokens for the rest."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from apiflask import HTTPBasicAuth, HTTPTokenAuth
from apiflask.exceptions import HTTPError
from flask import current_app, request
from flask.typing import ResponseReturnValue

from app.db_types import utcnow
from app.extensions import db
from app.models import User
from app.services import accounts, api_tokens

REALM = "Wren API"

basic_auth = HTTPBasicAuth(
    realm=REALM,
    description="Your username (or email address) and password. Only used by "
    "`POST /api/tokens` to obtain a bearer token.",
)
token_auth = HTTPTokenAuth(
    scheme="Bearer",
    realm=REALM,
    description="An opaque token from `POST /api/tokens`, sent as "
    "`Authorization: Bearer <token>`. Tokens expire (see `expires_at`).",
)


def current_user() -> User:
    """The user the request authenticated as (inside a protected view)."""
    user = token_auth.current_user or basic_auth.current_user
    if not isinstance(user, User):
        raise RuntimeError("current_user() outside an authenticated API view")
    return user


@basic_auth.verify_password
def verify_password(login: str, password: str) -> User | None:
    if not login or not password:
        return None
    return accounts.authenticate(login, password)


@token_auth.verify_token
def verify_token(token: str) -> User | None:
    user = api_tokens.verify(token)
    if user is not None:
        _touch_last_seen(user)
    return user


def _touch_last_seen(user: User) -> None:
    """Record activity at most once per LAST_SEEN_INTERVAL, like the pages do."""
    now = utcnow()
    threshold = now - timedelta(seconds=current_app.config["LAST_SEEN_INTERVAL"])
    if user.last_seen > threshold:
        return
    # Conditional, so concurrent requests with the same token write once.
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id, User.last_seen <= threshold)
        .values(last_seen=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


@basic_auth.error_processor
def basic_auth_error(error: HTTPError) -> ResponseReturnValue:
    return {
        "message": "Send your username (or email) and password with HTTP Basic "
        "authentication to obtain a token."
    }, error.status_code


@token_auth.error_processor
def token_auth_error(error: HTTPError) -> ResponseReturnValue:
    header = f'Bearer realm="{REALM}"'
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        # RFC 6750: a token was sent but is unknown, expired or revoked.
        header += ', error="invalid_token"'
        message = "The token is invalid, expired or revoked. Obtain a new one."
    else:
        message = (
            "Authentication required: send `Authorization: Bearer <token>` "
            "(obtain a token with POST /api/tokens)."
        )
    return {"message": message}, error.status_code, {"WWW-Authenticate": header}
