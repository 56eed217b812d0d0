from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


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


def checked(check: Callable[..., T], field: str, *args: Any) -> T:
    """Run one of app.validation's checkers on ``args``.

    :raises DomainError: on ``field``, with the checker's message, when it
        raises ValueError.
    """
    try:
        return check(*args)
    except ValueError as exc:
        raise DomainError(str(exc), field) from None
