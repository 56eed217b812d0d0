"""The JSON API. Importing the endpoint modules registers them on ``bp``."""

from app.api import docs, messages, posts, search, tokens, users  # noqa: F401
from app.api.routes import bp

__all__ = ["bp"]
