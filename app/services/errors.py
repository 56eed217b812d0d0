from __future__ import annotations


class DomainError(Exception):
    """A rule was broken. ``field`` names the input to blame, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    pass
