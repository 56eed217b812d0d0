"""Spanish in a real browser: a member switches to Español in the settings
and the nav, the pages and their dates turn Spanish; an anonymous visitor
whose browser asks for Spanish gets it. Each page is checked by axe in both
themes and shot at desktop, tablet and phone sizes (and at 1100 px, where
the nav is widest with its labels hidden)."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import LiveServer, PageChecker, log_in, screenshot, shoot
from tests.e2e.test_accessibility import findings_in_both_themes

# What app.js writes for a date in Spanish: "30 de noviembre de 2026".
SPANISH_DATE = re.compile(r"\d{1,2} de [a-z]+ de \d{4}")


def audit(page: Page, label: str, report: list[str]) -> None:
    report.extend(findings_in_both_themes(page, label))


def nav_fits(page: Page) -> None:
    """The nav stays one row wherever it is expanded: from 992 px (labels of
    the compact items hidden) to 1400 px and wider (all labels shown). On a
    phone the open menu is shot too."""
    nav = page.locator("nav.wren-nav")
    for width in (992, 1100, 1399, 1400, 1600):
        page.set_viewport_size({"width": width, "height": 800})
        height = nav.evaluate("n => n.getBoundingClientRect().height")
        assert height < 80, f"the nav wraps at {width} px ({height} px high)"
        screenshot(page, f"language-nav-{width}")
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator(".navbar-toggler").click()
    expect(nav.get_by_role("link", name="Notificaciones")).to_be_visible()
    screenshot(page, "language-nav-390-open")
    page.locator(".navbar-toggler").click()
    page.set_viewport_size({"width": 1280, "height": 860})


def test_a_member_switches_to_spanish(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    server = live_server
    server.make_user("ana")
    server.make_user("bruno")
    server.create_posts("bruno", ["¡Hola! Primera publicación de Bruno."])
    report: list[str] = []
    page = new_checked_context(locale="en-GB").new_page()
    log_in(page, "ana")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.goto("/settings/profile")
    page.get_by_label("Language").select_option(label="Español")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()

    # Every page now speaks Spanish, whatever the browser asks for.
    expect(page.locator("html")).to_have_attribute("lang", "es")
    nav = page.locator("nav.wren-nav")
    expect(nav.get_by_role("link", name="Inicio")).to_be_visible()
    expect(nav.get_by_role("link", name="Explorar")).to_be_visible()
    expect(nav.get_by_role("button", name="Cerrar sesión")).to_be_attached()
    expect(page.locator("main")).to_contain_text("Miembro desde el")
    member_since = page.locator("main time[data-format=date]").first
    expect(member_since).to_have_text(SPANISH_DATE)
    audit(page, "profile (es)", report)
    shoot(page, "language-profile-es")

    page.goto("/settings/profile")
    expect(page.get_by_label("Idioma")).to_have_value("es")
    audit(page, "settings (es)", report)
    shoot(page, "language-settings-es")

    page.goto("/")
    page.get_by_label("¿Qué está pasando?").fill("Mi primera publicación en español.")
    page.locator("main form.post-form [type=submit]").click()
    card = page.locator("article.post", has_text="Mi primera publicación en español.")
    expect(card.locator("time")).to_have_text("ahora mismo")
    expect(page.locator("main .char-counter").first).to_contain_text("caracteres")
    audit(page, "feed (es)", report)
    shoot(page, "language-feed-es")
    nav_fits(page)

    page.goto("/explore")
    page.locator("article.post", has_text="Bruno").locator(".post-time").click()
    expect(page.locator("#replies-heading")).to_have_text("Respuestas")
    expect(page.locator("#reply")).to_contain_text("Responder a @bruno")
    audit(page, "thread (es)", report)
    shoot(page, "language-thread-es")

    assert not report, "\n".join(report)


def test_an_anonymous_visitor_gets_the_browsers_language(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    live_server.make_user("bruno")
    live_server.create_posts("bruno", ["Una publicación para leer."])
    report: list[str] = []
    page = new_checked_context(locale="es-ES").new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("h1")).to_have_text(
        "Publicaciones breves de las personas que sigues."
    )
    expect(page.get_by_role("link", name="Registrarse")).to_be_visible()
    audit(page, "landing (es)", report)
    shoot(page, "language-landing-es")

    page.goto("/user/bruno")
    expect(page.locator("main")).to_contain_text("1 publicación")
    expect(page.get_by_role("link", name="Inicia sesión para seguir")).to_be_visible()
    audit(page, "profile, anonymous (es)", report)
    shoot(page, "language-profile-anonymous-es", sizes=("desktop", "phone"))

    english = new_checked_context(locale="en-US").new_page()
    english.goto("/user/bruno")
    expect(english.locator("html")).to_have_attribute("lang", "en")
    expect(english.locator("main")).to_contain_text("1 post")
    # The footer's switch: a cookie, and back to the same page in Spanish.
    english.locator("footer").get_by_role("link", name="Español").click()
    expect(english).to_have_url(f"{live_server.url}/user/bruno")
    expect(english.locator("html")).to_have_attribute("lang", "es")
    expect(english.locator("footer [aria-current]")).to_have_text("Español")
    audit(english, "profile after the footer switch (es)", report)
    shoot(english, "language-footer-switch-es", sizes=("desktop", "phone"))

    assert not report, "\n".join(report)
