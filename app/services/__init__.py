"""User actions shared by the HTML pages and the JSON API."""

from app.services.errors import DomainError

__all__ = ["DomainError"]
