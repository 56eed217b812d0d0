"""Languages: Flask-Babel picks each request's language.

The account's own setting wins, then the browser's Accept-Language among the
languages we have catalogues for (config LANGUAGES), then English. The JSON
API is the exception: it always answers in English, a stable contract for
programs, whatever the account or the browser prefers.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import Babel

from app.web.login import database_down, reader

babel = Babel()


API_LOCALE = "en"


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def select_locale() -> str:
    languages: list[str] = current_app.config["LANGUAGES"]
    if not request:  # a job or a command: force_locale() picks, else English
        return languages[0]
    if is_api_path(request.path):
        return API_LOCALE
    # reader(), not current_user: it is the User itself, loaded once, and
    # None while the database is down (an error page must not query it).
    user = None if database_down() else reader()
    if user is not None and user.language in languages:
        return str(user.language)
    return request.accept_languages.best_match(languages) or languages[0]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
