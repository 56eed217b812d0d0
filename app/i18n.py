"""Languages: Flask-Babel picks each request's language.

The account's own setting wins, then the browser's Accept-Language among the
languages we have catalogues for (config LANGUAGES), then English. The JSON
API is the exception: it always answers in English, a stable contract for
programs, whatever the account or the browser prefers.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import Babel
from flask_login import current_user

babel = Babel()


API_LOCALE = "en"


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def select_locale() -> str:
    languages: list[str] = current_app.config["LANGUAGES"]
    if request and is_api_path(request.path):
        return API_LOCALE
    if current_user and current_user.is_authenticated:
        chosen = current_user.language
        if chosen in languages:
            return str(chosen)
    best = request.accept_languages.best_match(languages) if request else None
    return best or languages[0]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
