"""Obtaining and revoking bearer tokens."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from app.api.auth import basic_auth, current_user, token_auth
from app.api.routes import BODY_ERRORS, bp
from app.api.schemas import TokenHeadersIn, TokenOut
from app.extensions import limiter
from app.services import api_tokens
from app.web.headers import no_content
from app.web.ratelimits import (
    api_token_account_limits,
    api_token_limits,
    basic_auth_account_key,
    otp_account_key,
    two_factor_limits,
)

RATE_LIMITED: dict[str, Any] = {
    "description": "Too many attempts from this client or for this account; "
    "see Retry-After.",
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    },
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}
    },
}
BASIC_CHALLENGE: dict[str, Any] = {
    "description": "Missing or wrong credentials, or a missing or wrong "
    "X-Wren-OTP code for an account with two-factor authentication.",
    "headers": {
        "WWW-Authenticate": {
            "description": 'Basic realm="Wren API"',
            "schema": {"type": "string"},
        },
        "X-Wren-OTP": {
            "description": "`required` when the password was right but the "
            "account also needs a code.",
            "schema": {"type": "string"},
        },
    },
}
BEARER_CHALLENGE: dict[str, Any] = {
    "description": "Missing, invalid, expired or revoked token.",
    "headers": {
        "WWW-Authenticate": {
            "description": 'Bearer realm="Wren API" (with error="invalid_token" '
            "when a token was sent)",
            "schema": {"type": "string"},
        }
    },
}
NO_STORE = {"Cache-Control": "no-store"}
# Typed as APIFlask's doc() wants them (keys int or str).
ISSUE_RESPONSES: dict[int | str, Any] = {
    **BODY_ERRORS,
    401: BASIC_CHALLENGE,
    429: RATE_LIMITED,
}
REVOKE_RESPONSES: dict[int | str, Any] = {401: BEARER_CHALLENGE}


@bp.post("/tokens")
@limiter.limit(api_token_limits)
@limiter.limit(api_token_account_limits, key_func=basic_auth_account_key)
# Code guesses share the account's two-factor budget with the login page.
@limiter.shared_limit(two_factor_limits, scope="two-factor", key_func=otp_account_key)
@bp.auth_required(basic_auth)
@bp.input(TokenHeadersIn, location="headers")
@bp.output(
    TokenOut,
    status_code=201,
    description="A new token. It is shown only this once.",
    example={
        "token": "q1Zr0GxL3a6m0n7xY2b5Tt9vWcR4kQeJ8sHdFpUiA0o",
        "expires_at": "2026-01-31T13:00:00Z",
    },
)
@bp.doc(tags=["Tokens"], responses=ISSUE_RESPONSES)
def create_token(headers_data: dict[str, Any]) -> ResponseReturnValue:
    """Obtain a bearer token.

    Authenticate with HTTP Basic: your username or email address, and your
    password. An account with two-factor authentication also sends the
    current code from its app in the `X-Wren-OTP` header. The token
    expires after an hour unless the server is configured otherwise.
    Limited to a few attempts per minute per client, and per account
    whatever the client.
    """
    issued = api_tokens.issue(current_user())
    return issued, 201, NO_STORE


@bp.delete("/tokens")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="The token no longer works.")
@bp.doc(tags=["Tokens"], responses=REVOKE_RESPONSES)
def revoke_token() -> ResponseReturnValue:
    """Revoke the token sent with this request."""
    api_tokens.revoke(token_auth.get_auth().token)
    return no_content()
