"""Rate limit strings and keys, read from config at request time.

A route that is limited per client and per account stacks two
``limiter.limit`` decorators: one keyed on the client address (the
limiter's default key) and one keyed on what the form names. The second
key is prefixed so a form value can never share a bucket with an address.
"""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user


def _limit(name: str) -> str:
    return str(current_app.config[name])


def login_limits() -> str:
    return f"{_limit('RATELIMIT_LOGIN')};{_limit('RATELIMIT_LOGIN_HOURLY')}"


def login_account_limits() -> str:
    return _limit("RATELIMIT_LOGIN")


def register_limits() -> str:
    return _limit("RATELIMIT_REGISTER")


def email_limits() -> str:
    return _limit("RATELIMIT_EMAIL")


def api_token_limits() -> str:
    return _limit("RATELIMIT_API_TOKENS")


def api_token_account_limits() -> str:
    return _limit("RATELIMIT_API_TOKENS")


def message_limits() -> str:
    return _limit("MESSAGE_RATE_LIMIT")


# Sending a message through a page or the API counts against one budget per
# account: both limits use this scope and key their buckets "user:<id>".
MESSAGE_SCOPE = "messages-send"


def _named_key(kind: str, value: str | None) -> str:
    # An empty key makes Flask-Limiter skip the limit; the form (or HTTP
    # Basic) rejects an empty name anyway, and the per-client limit still
    # counts the request.
    value = (value or "").strip().lower()
    return f"{kind}:{value}" if value else ""


def _form_key(kind: str, field: str) -> str:
    return _named_key(kind, request.form.get(field))


def account_key() -> str:
    """The account a login form names (username or email, any case)."""
    return _form_key("account", "username")


def basic_auth_account_key() -> str:
    """The account HTTP Basic credentials name (POST /api/tokens), any case.

    Prefixed as the login form's key is, so guesses at one account from
    many addresses share one bucket.
    """
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return ""
    return _named_key("account", auth.username)


def address_key() -> str:
    """The address a reset request names."""
    return _form_key("address", "email")


def current_address_key() -> str:
    """The logged-in user's address, for resending a confirmation link."""
    if current_user.is_authenticated:
        return f"address:{current_user.email.lower()}"
    return ""


def current_user_key() -> str:
    """The logged-in account, for forms that check its password."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return ""


def two_factor_limits() -> str:
    return _limit("RATELIMIT_2FA")


def pending_account_key() -> str:
    """The account whose password step this browser passed (/auth/2fa)."""
    from app.web import pending_login

    user_id = pending_login.user_id()
    return f"user:{user_id}" if user_id is not None else ""


def otp_account_key() -> str:
    """The account a POST /api/tokens names, when it brings an X-Wren-OTP.

    Requests without the header guess no code and are left to the token
    limits; an unknown name has no codes to guess.
    """
    from app.services import accounts

    auth = request.authorization
    if "X-Wren-OTP" not in request.headers or auth is None or not auth.username:
        return ""
    user = accounts.find_by_login(auth.username)
    return f"user:{user.id}" if user is not None else ""


def report_limits() -> str:
    return _limit("REPORT_RATE_LIMIT")


# Reports through the pages and the API share one budget per account.
REPORT_SCOPE = "reports"
