"""Languages: the catalogues, the choice of language, localised dates and
numbers, and caches that never mix two languages."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.extensions import db
from app.i18n import compile_catalogues
from app.models import Post, User
from tests.factories import PostFactory

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
CATALOGUES = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
SPANISH_PO = TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
TAG = re.compile(r"</?([a-z]+)\b")
ES = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def read_catalogue(path: Path):
    with path.open("rb") as source:
        return read_po(source, locale=path.parts[-3])


def language_of(path: Path) -> str:
    return path.parts[-3]


def test_spanish_is_among_the_catalogues():
    assert SPANISH_PO in CATALOGUES


def texts(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


# --- the catalogue -------------------------------------------------------


@pytest.mark.parametrize("po", CATALOGUES, ids=language_of)
def test_no_untranslated_or_fuzzy_string(po):
    catalog = read_catalogue(po)
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    untranslated = [m.id for m in catalog if m.id and not all(texts(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def extract_command(output: Path) -> list[str]:
    """`make translations`' own extract command (the Makefile's
    BABEL_EXTRACT), so the test and the Makefile cannot drift apart."""
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^BABEL_EXTRACT := (.*?)\n(?=\S)", makefile, re.M | re.S)
    assert match, "Makefile has no BABEL_EXTRACT"
    words = shlex.split(match.group(1).replace("\\\n", " "))
    assert words[:2] == ["$(BIN)/pybabel", "extract"]
    program = [sys.executable, "-m", "babel.messages.frontend", "extract"]
    return [*program, *words[2:], "-o", str(output), "."]


def test_every_string_in_the_code_is_in_the_catalogues(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(extract_command(template), cwd=ROOT, check=True, capture_output=True)
    with template.open("rb") as source:
        extracted = {m.id for m in read_po(source) if m.id}
    assert len(extracted) > 300  # the templates were read
    for po in CATALOGUES:
        in_catalogue = {m.id for m in read_catalogue(po) if m.id}
        missing = sorted(map(str, extracted - in_catalogue))
        assert missing == [], f"{po}: run `make translations`, translate the new"


@pytest.mark.parametrize("po", CATALOGUES, ids=language_of)
def test_translations_keep_the_placeholders_and_the_markup(po):
    for message in read_catalogue(po):
        if not message.id:
            continue
        sources = texts(message.id)
        for index, translated in enumerate(texts(message.string)):
            # Plural forms past the first translate the plural msgid.
            source = sources[min(index, len(sources) - 1)]
            assert set(PLACEHOLDER.findall(translated)) == set(
                PLACEHOLDER.findall(source)
            ), (source, translated)
            assert sorted(TAG.findall(translated)) == sorted(TAG.findall(source)), (
                source,
                translated,
            )


def test_a_missing_or_stale_compiled_catalogue_is_rebuilt(app, tmp_path):
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    po = copy / "es" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    with app.app_context():
        compile_catalogues(copy)
    with mo.open("rb") as source:
        assert read_mo(source).get("Skip to content").string == "Saltar al contenido"

    # An edited .po (newer than its .mo) is compiled again at the next start.
    po.write_text(
        po.read_text().replace('"Saltar al contenido"', '"Ir al contenido"'),
        encoding="utf-8",
    )
    stale = mo.stat().st_mtime_ns - 10_000_000_000
    os.utime(mo, ns=(stale, stale))
    with app.app_context():
        compile_catalogues(copy)
    with mo.open("rb") as source:
        assert read_mo(source).get("Skip to content").string == "Ir al contenido"


# --- which language ------------------------------------------------------


def test_an_anonymous_reader_gets_the_language_the_browser_asks_for(client):
    spanish = client.get("/", headers=ES)
    page = spanish.get_data(as_text=True)
    assert '<html lang="es"' in page
    assert "Publicaciones breves de las personas que sigues." in page
    assert "Iniciar sesión" in page
    assert "Accept-Language" in spanish.headers.get("Vary", "")

    english = client.get("/", headers=EN).get_data(as_text=True)
    assert '<html lang="en"' in english
    assert "Short posts from people you follow." in english
    # A language we have no catalogue for falls back to English.
    french = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en"' in french


def test_the_accounts_own_language_wins_over_the_browser(client, auth, make_user, app):
    make_user("ana", language="es")
    auth.login("ana")
    page = client.get("/explore", headers=EN)
    text = page.get_data(as_text=True)
    assert '<html lang="es"' in text
    assert "Explorar" in text
    assert "Cerrar sesión" in text
    # Chosen by the account, not the header: the response does not vary on it.
    assert "Accept-Language" not in page.headers.get("Vary", "")


def test_choosing_a_language_in_the_settings(client, auth, user, app):
    auth.login(user)
    form = client.get("/settings/profile", headers=EN).get_data(as_text=True)
    assert 'name="language"' in form
    assert '<option value="">Your browser\'s language</option>' in form
    assert ">English</option>" in form
    assert ">Español</option>" in form

    response = auth.post_form(
        "/settings/profile",
        {"username": user.username, "about_me": "", "language": "es"},
        headers=EN,
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).language == "es"
    page = client.get("/settings/profile", headers=EN).get_data(as_text=True)
    assert '<html lang="es"' in page
    assert "Idioma" in page
    assert '<option selected value="es">' in page or 'value="es" selected' in page

    # Back to the browser's choice: stored as NULL.
    auth.post_form(
        "/settings/profile",
        {"username": user.username, "about_me": "", "language": ""},
        headers=EN,
    )
    with app.app_context():
        assert db.session.get(User, user.id).language is None
    assert '<html lang="en"' in client.get("/", headers=EN).get_data(as_text=True)


def test_a_language_we_do_not_have_is_refused(client, auth, user, app):
    auth.login(user)
    response = auth.post_form(
        "/settings/profile",
        {"username": user.username, "about_me": "", "language": "xx"},
    )
    assert response.status_code == 200
    assert "That language is not available." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).language is None


@pytest.mark.parametrize(
    "path",
    ["/no/such/page", "/api/docs", "/api/redoc"],
)
def test_html_lang_on_error_and_api_documentation_pages(client, path):
    page = client.get(path, headers=ES).get_data(as_text=True)
    assert '<html lang="es"' in page


def test_html_lang_on_the_moderation_pages(client, auth, make_user):
    make_user("mod", role="admin", language="es")
    auth.login("mod")
    page = client.get("/admin").get_data(as_text=True)
    assert '<html lang="es"' in page
    assert "Registro de auditoría" in page


# --- dates and numbers ---------------------------------------------------


def test_profile_dates_and_counts_are_in_the_pages_language(client, make_user, app):
    author = make_user("counter")
    with app.app_context():
        now = datetime.now(UTC)
        rows = [
            {"user_id": author.id, "body": f"n{i}", "created_at": now}
            for i in range(1234)
        ]
        db.session.execute(sa.insert(Post), rows)
        db.session.commit()
        joined = db.session.get(User, author.id).created_at

    spanish = client.get("/user/counter", headers=ES).get_data(as_text=True)
    assert format_date(joined, "long", locale="es") in spanish  # "30 de noviembre…"
    assert "Miembro desde el" in spanish
    assert re.search(r'post-count fw-semibold">1\.234</span> publicaciones', spanish)

    english = client.get("/user/counter", headers=EN).get_data(as_text=True)
    assert format_date(joined, "long", locale="en") in english
    assert re.search(r'post-count fw-semibold">1,234</span> posts', english)


def test_post_times_are_written_in_the_pages_language(client, app):
    with app.app_context():
        PostFactory(body="dated", created_at=datetime(2026, 1, 15, 9, 5, tzinfo=UTC))
    spanish = client.get("/explore", headers=ES).get_data(as_text=True)
    assert "15 ene 2026, 9:05 UTC" in spanish
    english = client.get("/explore", headers=EN).get_data(as_text=True)
    assert "Jan 15, 2026, 09:05 UTC" in english


# --- caches and conditional GET ------------------------------------------


def test_a_cached_card_is_not_served_in_another_language(client, app):
    with app.app_context():
        first = PostFactory(body="the question")
        PostFactory(body="an answer", in_reply_to_id=first.id)
    english = client.get("/explore", headers=EN).get_data(as_text=True)
    assert "Replying to" in english  # the card is now in the shared cache

    spanish = client.get("/explore", headers=ES).get_data(as_text=True)
    assert "En respuesta a" in spanish
    assert "Replying to" not in spanish
    assert ">Responder<" in spanish


def test_an_english_etag_does_not_confirm_the_spanish_page(client, app):
    with app.app_context():
        PostFactory(body="tagged page")
    english = client.get("/explore", headers=EN)
    etag = english.headers["ETag"]
    again = client.get("/explore", headers={**EN, "If-None-Match": etag})
    assert again.status_code == 304  # the tag works for the same language

    spanish = client.get("/explore", headers={**ES, "If-None-Match": etag})
    assert spanish.status_code == 200
    assert "Explorar" in spanish.get_data(as_text=True)
    assert spanish.headers["ETag"] != etag
    assert "Accept-Language" in spanish.headers.get("Vary", "")
    assert "public" in spanish.headers.get("Cache-Control", "")


def test_the_cached_nav_follows_a_change_of_language(client, auth, user, app):
    auth.login(user)
    assert ">Settings<" in client.get("/explore").get_data(as_text=True)
    with app.app_context():
        db.session.get(User, user.id).language = "es"
        db.session.commit()
    page = client.get("/explore").get_data(as_text=True)
    assert ">Ajustes<" in page
    assert ">Settings<" not in page


# --- a visitor's own choice ----------------------------------------------


def test_a_visitor_picks_a_language_in_the_footer(client):
    page = client.get("/explore", headers=EN).get_data(as_text=True)
    assert 'href="/language/es" lang="es" hreflang="es">Español</a>' in page
    assert '<span lang="en" aria-current="true">English</span>' in page

    referrer = "http://localhost/explore?before=5"
    response = client.get("/language/es", headers={**EN, "Referer": referrer})
    assert response.status_code == 303
    assert response.headers["Location"] == "/explore?before=5"
    assert "wren_language=es" in response.headers["Set-Cookie"]
    assert "no-store" in response.headers["Cache-Control"]

    spanish = client.get("/explore", headers=EN)
    assert '<html lang="es"' in spanish.get_data(as_text=True)
    assert {"Accept-Language", "Cookie"} <= set(spanish.vary)
    back = client.get("/language/en", headers={**EN, "Referer": referrer})
    assert "wren_language=en" in back.headers["Set-Cookie"]
    assert '<html lang="en"' in client.get("/explore").get_data(as_text=True)


@pytest.mark.parametrize(
    "referrer",
    ["http://evil.example/explore", "http://localhost//evil.example/", None],
)
def test_the_switch_goes_back_only_to_our_own_pages(client, referrer):
    headers = {"Referer": referrer} if referrer else {}
    response = client.get("/language/es", headers=headers)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_the_switch_knows_only_our_languages(client):
    assert client.get("/language/xx").status_code == 404
    assert "Set-Cookie" not in client.get("/language/xx").headers


def test_a_members_own_setting_wins_over_the_cookie(client, auth, make_user):
    make_user("eva", language="en")
    client.get("/language/es")
    auth.login("eva")
    page = client.get("/explore", headers=ES).get_data(as_text=True)
    assert '<html lang="en"' in page
    assert 'href="/language/' not in page  # members choose in their settings


# --- user text inside translated sentences ------------------------------


@pytest.mark.parametrize("headers", [EN, ES], ids=["en", "es"])
def test_user_text_in_a_translated_sentence_stays_escaped(client, app, headers):
    attack = '<script>alert("x")</script>'
    with app.app_context():
        post = PostFactory(body=f"{attack} hello")
        post_id = post.id
    thread = client.get(f"/post/{post_id}", headers=headers).get_data(as_text=True)
    assert "<script>alert" not in thread
    assert "&lt;script&gt;alert" in thread  # the title's "name: “text”"
    search = client.get("/search", query_string={"q": attack}, headers=headers)
    assert "<script>alert" not in search.get_data(as_text=True)
    assert "&lt;script&gt;alert" in search.get_data(as_text=True)
