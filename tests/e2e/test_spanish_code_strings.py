"""Spanish strings from the Python code in a real browser (locale es-ES):
form labels and errors (ours and WTForms'), a flash, a DomainError and the
404 page, each checked by axe in both themes and photographed, since the
Spanish is longer than the English."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import LOGOUT, LiveServer, PageChecker, fill_form, shoot
from tests.e2e.test_accessibility import findings_in_both_themes
from tests.factories import DEFAULT_PASSWORD


def audit(page: Page, label: str, report: list[str]) -> None:
    report.extend(findings_in_both_themes(page, label))


def test_forms_flashes_and_errors_in_spanish(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    live_server.make_user("susan")
    live_server.make_user("juan")
    checker.expect_status("/nada/aqui", 404)
    report: list[str] = []
    page = new_checked_context(locale="es-ES").new_page()

    # Our own rule (password length) and WTForms' built-in required message.
    page.goto("/auth/register")
    fill_form(page, {"username": "ana", "email": "ana@example.com"})
    fill_form(page, {"password": "corta", "password2": "corta"})
    page.get_by_role("button", name="Crear cuenta").click()
    main = page.locator("main")
    expect(main).to_contain_text("Las contraseñas tienen entre 8 y 128 caracteres.")
    expect(main.get_by_label("Repite la contraseña")).to_be_visible()
    audit(page, "register errors (es)", report)
    shoot(page, "es-register-errors")

    page.goto("/auth/login")
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(main.get_by_text("Este campo es obligatorio.").first).to_be_visible()
    fill_form(page, {"username": "juan", "password": DEFAULT_PASSWORD})
    page.locator("main form").get_by_role("button", name="Iniciar sesión").click()
    page.locator(f"nav form[action='{LOGOUT}']").wait_for(state="attached")

    # A flash, then a DomainError shown as a flash.
    page.goto("/user/susan")
    page.locator("main form[action='/follow/susan'] button").click()
    flashes = page.locator(".flash-messages")
    expect(flashes).to_contain_text("Ahora sigues a susan.")
    audit(page, "profile with flash (es)", report)
    shoot(page, "es-follow-flash", ("desktop", "phone"))

    # The two-factor settings: the longest Spanish button labels.
    page.goto("/settings/2fa")
    expect(
        main.get_by_role("button", name="Activar la verificación en dos pasos")
    ).to_be_visible()
    audit(page, "two-factor settings (es)", report)
    shoot(page, "es-two-factor")

    page.goto("/nada/aqui")
    expect(main).to_contain_text("Página no encontrada")
    expect(main).to_contain_text("No hay nada en esta dirección.")
    audit(page, "404 (es)", report)
    shoot(page, "es-404", ("desktop", "phone"))

    assert report == [], "\n".join(report)
    checker.assert_clean()
