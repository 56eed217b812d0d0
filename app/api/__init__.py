"""The JSON API. Importing the endpoint modules registers them on ``bp``."""

from app.api import (  # noqa: F401
    blocks,
    docs,
    media,
    messages,
    posts,
    reports,
    search,
    tokens,
    users,
)
from app.api.routes import bp

__all__ = ["bp"]
