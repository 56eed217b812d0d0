"""Input rules shared by the WTForms forms and the API schemas.

Each checker returns the cleaned value or raises ``ValueError`` with a message
fit to show next to the field.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from functools import cache
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from app.models import ABOUT_MAX, EMAIL_MAX, MESSAGE_MAX, POST_MAX, USERNAME_MAX

USERNAME_MIN = 3
PASSWORD_MIN, PASSWORD_MAX = 8, 128
USERNAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"


def has_forbidden_control(text: str, allow_newlines: bool) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def clean_username(value: str) -> str:
    value = (value or "").strip()
    if not USERNAME_MIN <= len(value) <= USERNAME_MAX:
        raise ValueError(
            f"Usernames are {USERNAME_MIN} to {USERNAME_MAX} characters long."
        )
    if not USERNAME_RE.match(value):
        raise ValueError("Use only letters, digits and underscores.")
    return value


def clean_email(value: str) -> str:
    """Validate syntax only (no DNS) and normalise; stored lower-cased."""
    value = (value or "").strip()
    if len(value) > EMAIL_MAX:
        raise ValueError("That email address is too long.")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"That is not a valid email address: {exc}") from None
    return result.normalized.lower()


def clean_text(value: str, max_length: int, field: str, required: bool) -> str:
    value = (value or "").strip()
    if has_forbidden_control(value, allow_newlines=True):
        raise ValueError("Remove the control characters from the text.")
    value = value.replace("\r\n", "\n")
    if required and not value:
        raise ValueError(f"Write something in the {field}.")
    if len(value) > max_length:
        raise ValueError(
            f"The {field} can be at most {max_length} characters ({len(value)} now)."
        )
    return value


def clean_post_body(value: str) -> str:
    return clean_text(value, POST_MAX, "post", required=True)


def clean_post_text(value: str) -> str:
    """A post's text that may be empty: a post with pictures needs none."""
    return clean_text(value, POST_MAX, "post", required=False)


def clean_message_body(value: str) -> str:
    return clean_text(value, MESSAGE_MAX, "message", required=True)


def clean_about_me(value: str) -> str:
    return clean_text(value, ABOUT_MAX, "about me", required=False)


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def check_password_strength(
    password: str, username: str | None = None, email: str | None = None
) -> None:
    """NIST-style rules: length and a blocklist, no composition rules."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValueError(
            f"Passwords are {PASSWORD_MIN} to {PASSWORD_MAX} characters long."
        )
    lowered = password.lower()
    if lowered in common_passwords():
        raise ValueError("That password is too common. Choose another.")
    for other in (username, email):
        if other and lowered == other.strip().lower():
            raise ValueError("Your password must differ from your username and email.")
