"""API authentication: HTTP Basic to obtain a token, Bearer tokens for the rest."""

from __future__ import annotations

from apiflask import HTTPBasicAuth, HTTPTokenAuth, abort
from apiflask.exceptions import HTTPError
from apiflask.types import ResponseReturnValueType
from flask import g, request

from app.models import User
from app.services import accounts, api_tokens, two_factor

REALM = "Wren API"
OTP_HEADER = "X-Wren-OTP"

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
    found = token_auth.current_user or basic_auth.current_user
    if not isinstance(found, User):
        raise RuntimeError("current_user() outside an authenticated API view")
    return found


@basic_auth.verify_password
def verify_password(login: str, password: str) -> User | None:
    if not login or not password:
        return None
    user = accounts.authenticate(login, password)
    otp = request.headers.get(OTP_HEADER)
    if (
        user is not None
        and two_factor.is_enabled(user)
        and not two_factor.verify(user, otp)
    ):
        # Said only after the right password, as the login form's second
        # step does; guesses at the code share the per-account 2FA limit.
        g.wren_otp_required = True
        return None
    return _not_barred(user)


@token_auth.verify_token
def verify_token(token: str) -> User | None:
    owner = _not_barred(api_tokens.verify(token))
    if owner is not None:
        accounts.record_activity(owner.id, owner.last_seen)
    return owner


def _not_barred(user: User | None) -> User | None:
    """``user``, unless suspended or waiting for approval: then a 403, so a
    client can tell a barred account from a wrong or expired credential."""
    if user is not None and user.is_suspended:
        abort(403, "This account is suspended.")
    if user is not None and user.pending:
        abort(403, "This account is waiting for a moderator's approval.")
    return user


@basic_auth.error_processor
def basic_auth_error(error: HTTPError) -> ResponseReturnValueType:
    if g.get("wren_otp_required"):
        return (
            {
                "message": "This account uses two-factor authentication: send "
                f"a current code from your app (or a recovery code) in the "
                f"{OTP_HEADER} header."
            },
            error.status_code,
            {OTP_HEADER: "required"},
        )
    return {
        "message": "Send your username (or email) and password with HTTP Basic "
        "authentication to obtain a token."
    }, error.status_code


@token_auth.error_processor
def token_auth_error(error: HTTPError) -> ResponseReturnValueType:
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
