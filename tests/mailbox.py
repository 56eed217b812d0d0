"""Reading mail that the app sent to the locmem outbox."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

LINK_RE = re.compile(r"https?://[^/\s]+(/auth/(?:confirm|reset_password)/[^\s\"<]+)")


def outbox(app: Flask) -> list[Any]:
    # The locmem backend creates the list with the first message.
    return getattr(app.extensions["mailman"], "outbox", [])


def mail_to(app: Flask, address: str) -> list[Any]:
    return [m for m in outbox(app) if address in m.to]


def link_in(message: Any) -> str:
    """The path of the confirm or reset link in a message's text body."""
    match = LINK_RE.search(message.body)
    assert match, f"no link in: {message.body}"
    return match.group(1)


def html_body(message: Any) -> str:
    return next(
        content for content, kind in message.alternatives if kind == "text/html"
    )
