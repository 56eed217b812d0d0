"""Two-factor authentication and the sessions page in a real browser, with
the keyboard alone on the 2FA forms: turn it on from the QR step's text
secret, log in with a code and then with a recovery code, and log a second
browser out from the sessions page. Each new page is checked by axe in both
themes and photographed at desktop and phone widths."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pyotp
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import LiveServer, PageChecker, fill_form, log_in, log_out
from tests.e2e.conftest import screenshot as save_screenshot
from tests.e2e.test_accessibility import axe_findings, describe
from tests.factories import DEFAULT_PASSWORD

WIDTHS = (1280, 390)
CODE_RE = re.compile(r"^[0-9a-z]{4}(-[0-9a-z]{4}){3}$")


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    target = page.locator(selector).first
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def audit_and_shoot(page: Page, label: str, report: list[str]) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for theme in ("light", "dark"):
            page.evaluate("t => document.documentElement.dataset.bsTheme = t", theme)
            if width == WIDTHS[0]:
                report.extend(describe(f"{label} [{theme}]", axe_findings(page)))
            save_screenshot(page, f"two-factor-{label}-{width}-{theme}")
    page.evaluate("() => document.documentElement.dataset.bsTheme = 'light'")
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})


def password_step(page: Page, username: str) -> None:
    page.goto("/auth/login")
    fill_form(page, {"username": username, "password": DEFAULT_PASSWORD})
    page.locator("main form").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/auth/2fa$"))


def recovery_link(page: Page) -> None:
    tab_to(page, "main a:has-text('Use a recovery code')")
    page.keyboard.press("Enter")
    expect(page.locator("label[for=code]")).to_have_text("Recovery code")
    expect(page.locator("input[name=code]")).to_have_attribute("inputmode", "text")


def code_step_by_keyboard(page: Page, code: str) -> None:
    tab_to(page, "input[name=code]")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.locator("nav form[action='/auth/logout']").wait_for(state="attached")
    page.wait_for_load_state()


def test_two_factor_and_sessions_in_a_browser(
    live_server: LiveServer,
    page: Page,
    new_checked_context: Callable[..., BrowserContext],
    checker: PageChecker,
) -> None:
    live_server.make_user("alice")
    report: list[str] = []
    log_in(page, "alice")

    page.goto("/settings/2fa")
    expect(page.locator("main")).to_contain_text("is off")
    audit_and_shoot(page, "off", report)
    tab_to(page, "main input[type=submit][value='Turn on two-factor authentication']")
    page.keyboard.press("Enter")

    secret_text = page.locator("#totp-secret")
    expect(secret_text).to_be_visible()
    expect(page.locator("svg.totp-qr")).to_be_visible()
    audit_and_shoot(page, "qr", report)
    secret = secret_text.inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    tab_to(page, "input[name=code]")
    page.keyboard.type(totp.now())
    page.keyboard.press("Enter")

    codes_list = page.locator("ol.recovery-codes code")
    expect(codes_list).to_have_count(10)
    codes = codes_list.all_inner_texts()
    assert all(CODE_RE.match(code) for code in codes)
    audit_and_shoot(page, "codes", report)
    page.reload()
    expect(page.locator("main")).to_contain_text("is on")
    expect(page.locator("ol.recovery-codes")).to_have_count(0)
    audit_and_shoot(page, "on", report)

    # A TOTP code: the next one, as the current one was just used.
    log_out(page)
    password_step(page, "alice")
    audit_and_shoot(page, "login-step", report)
    code_step_by_keyboard(page, totp.at(time.time() + 30))

    # A recovery code, through the link that asks for one.
    log_out(page)
    password_step(page, "alice")
    recovery_link(page)
    audit_and_shoot(page, "login-recovery", report)
    code_step_by_keyboard(page, codes[0])

    # A second browser logs in too (with another recovery code)...
    other = new_checked_context().new_page()
    password_step(other, "alice")
    recovery_link(other)
    code_step_by_keyboard(other, codes[1])

    # ...and the first one logs it out from the sessions page.
    page.goto("/settings/sessions")
    items = page.locator(".session-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("This device")
    audit_and_shoot(page, "sessions", report)
    items.nth(1).get_by_role("button", name=re.compile("^Log out")).click()
    expect(page.locator(".flash-messages")).to_contain_text("logged out")
    expect(page.locator(".session-item")).to_have_count(1)

    other.goto("/settings/profile")
    expect(other).to_have_url(re.compile(r"/auth/login"))
    expect(other.locator("nav form[action='/auth/logout']")).to_have_count(0)

    assert not report, "\n".join(report)
