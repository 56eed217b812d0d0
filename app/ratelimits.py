"""Rate limit strings and keys, read from config at request time."""

from __future__ import annotations

from flask import current_app


def _limit(name: str) -> str:
    return str(current_app.config[name])


def login_limits() -> str:
    return f"{_limit('RATELIMIT_LOGIN')};{_limit('RATELIMIT_LOGIN_HOURLY')}"


def register_limits() -> str:
    return _limit("RATELIMIT_REGISTER")


def email_limits() -> str:
    return _limit("RATELIMIT_EMAIL")


def api_token_limits() -> str:
    return _limit("RATELIMIT_API_TOKENS")
