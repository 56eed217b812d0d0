"""Languages: Flask-Babel picks each request's language.

The account's own setting wins, then the language an anonymous visitor
picked in the footer (a cookie), then the browser's Accept-Language among
the languages we have catalogues for (config LANGUAGES), then English.

Catalogues live in app/translations/<lang>/LC_MESSAGES/messages.po (the
text a translator edits, in git). The compiled messages.mo beside it is not
in git: :func:`compile_catalogues` builds it when the app starts and the .po
is newer, so a fresh clone, `make run`, `make test`, gunicorn and CI all
serve the current translations without a build step to forget, and two
branches that both add strings never conflict over a binary file.

The JSON API is the exception: it always answers in English, a stable
contract for programs, whatever the account or the browser prefers.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import Blueprint, Flask, abort, current_app, g, redirect, request
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import Babel, get_locale, get_translations

from app.web.login import database_down, reader
from app.web.security import safe_next

if TYPE_CHECKING:
    from app.models import User

babel = Babel()
bp = Blueprint("i18n", __name__)

COOKIE = "wren_language"
COOKIE_MAX_AGE = 365 * 24 * 3600

# Language names as their own speakers write them, for the settings choice.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


API_LOCALE = "en"


# Under /api but pages for people: they follow the reader's language.
API_PAGES = frozenset({"/api/docs", "/api/redoc"})


def is_api_path(path: str) -> bool:
    """A path of the JSON API (its documentation pages are not)."""
    return (path == "/api" or path.startswith("/api/")) and path not in API_PAGES


def chosen_language(user: User | None) -> str | None:
    """``user``'s own choice of language, if it is one we speak; else None.

    The one rule for pages (the reader's), mail (the recipient's) and data
    exports (the owner's).
    """
    if user is None or user.language not in current_app.config["LANGUAGES"]:
        return None
    return str(user.language)


def select_locale() -> str:
    languages: list[str] = current_app.config["LANGUAGES"]
    if not request:  # a job or a command: force_locale() picks, else English
        return languages[0]
    if is_api_path(request.path):
        return API_LOCALE
    # reader(), not current_user: it is the User itself, loaded once, and
    # None while the database is down (an error page must not query it).
    chosen = None if database_down() else chosen_language(reader())
    if chosen is not None:
        return chosen
    # The page now depends on the request's cookie and header: responses
    # must say so, or a shared cache would hand one reader's language to
    # the next.
    g.wren_locale_from_request = True
    picked = request.cookies.get(COOKIE)
    if picked in languages:
        return str(picked)
    return request.accept_languages.best_match(languages) or languages[0]


def page_language() -> str:
    """The request's language as a BCP 47 tag, for ``<html lang>``."""
    return str(get_locale() or current_app.config["LANGUAGES"][0]).replace("_", "-")


def language_names() -> list[tuple[str, str]]:
    """Each language we serve, named in itself: ("es", "Español")."""
    return [
        (code, LANGUAGE_NAMES.get(code, code))
        for code in current_app.config["LANGUAGES"]
    ]


def translations_dir(app: Flask) -> Path:
    return Path(app.root_path) / "translations"


def compile_catalogues(directory: Path) -> None:
    """Compile each messages.po whose messages.mo is missing or older.

    Written to a temporary file and renamed, so that workers starting at
    once never read half a file. Fuzzy entries are left out, as pybabel's
    compile does. A read-only install that ships the .mo files is left
    alone; one without them is logged and serves English.
    """
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime_ns > po_path.stat().st_mtime_ns:
            continue
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=po_path.parts[-3])
        partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}.tmp")
        try:
            with partial.open("wb") as target:
                write_mo(target, catalog)
            partial.replace(mo_path)
        except OSError:
            current_app.logger.warning(
                "Cannot write %s; run `make translations`", mo_path
            )


def catalogue_digest(app: Flask) -> str:
    """A digest of the catalogues: part of the render version, so cached
    fragments and ETags change when a translation does."""
    digest = hashlib.blake2b(digest_size=8)
    for po_path in sorted(translations_dir(app).glob("*/LC_MESSAGES/*.po")):
        digest.update(str(po_path.relative_to(app.root_path)).encode() + b"\0")
        digest.update(po_path.read_bytes())
    return digest.hexdigest()


def vary_on_language(response: Response) -> Response:
    """Responses whose language came from the request vary on what chose it."""
    if g.get("wren_locale_from_request"):
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


@bp.get("/language/<code>")
def choose_language(code: str) -> ResponseReturnValue:
    """An anonymous visitor's choice from the footer: kept in a cookie, then
    back to the page they were on (our own pages only).

    A GET, like any language link: all it changes is the language this
    browser is shown, so a forged link can do no harm, and the cached
    footer needs no form token.
    """
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    back = "/"
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host:
        query = f"?{referrer.query}" if referrer.query else ""
        back = safe_next(referrer.path + query) or "/"
    response = redirect(back, code=303)
    response.set_cookie(
        COOKIE,
        code,
        max_age=COOKIE_MAX_AGE,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    response.cache_control.no_store = True
    return response


def request_translations() -> NullTranslations:
    """The catalogue of the request's language, found once per request.

    Flask-Babel finds it again for every string (locale, domain, cache,
    three context lookups): about 15 µs, and a page asks for dozens. It is
    kept here with the locale it is for; ``force_locale`` and ``refresh``
    give a new locale object, so the next string finds the catalogue again.
    """
    locale = get_locale()
    found = g.get("wren_translations")
    if found is None or found[0] is not locale:
        found = g.wren_translations = (locale, get_translations())
    return found[1]


def init_app(app: Flask) -> None:
    with app.app_context():
        compile_catalogues(translations_dir(app))
    babel.init_app(app, locale_selector=select_locale)
    # Templates' _(), gettext and ngettext, with the same (newstyle)
    # behaviour as Flask-Babel's, through the catalogue found once.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda string: request_translations().ugettext(string),
        ngettext=lambda singular, plural, n: request_translations().ungettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    # Every {% trans %} block is trimmed, as babel.cfg extracts them: the
    # line breaks that keep templates readable are not part of the message.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.add_template_global(page_language, "page_language")
    app.add_template_global(language_names, "language_names")
    app.after_request(vary_on_language)
    app.register_blueprint(bp)
