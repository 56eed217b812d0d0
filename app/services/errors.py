from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel.speaklater import LazyString

T = TypeVar("T")


class DomainError(Exception):
    """A rule was broken. ``field`` names the input to blame, if any.

    Services raise it with a lazy string (``lazy_gettext``), and ``message``
    (like ``str()``) translates it each time it is read, in the language of
    the request reading it: pages show it in the reader's language, while
    the JSON API, which app.i18n always runs in English, keeps its messages
    a stable English contract. The same raise serves both.
    """

    def __init__(self, message: str | LazyString, field: str | None = None) -> None:
        super().__init__(message)
        self.text = message
        self.field = field

    @property
    def message(self) -> str:
        return str(self.text)

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
