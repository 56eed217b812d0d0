"""Keyboard use, visible focus, theme, character counter, times, phone nav."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import BrowserContext, Page, expect

from app.db_types import utcnow
from app.extensions import db
from app.models import Post, User
from tests.e2e.conftest import LiveServer, PageChecker, log_in
from tests.factories import DEFAULT_PASSWORD


def focus_outline(page: Page) -> str:
    """The focused element's outline or box-shadow: some visible focus mark."""
    return page.evaluate(
        """() => {
            const s = getComputedStyle(document.activeElement);
            const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
            return (outline ? s.outlineStyle + " " + s.outlineWidth : "")
                + (s.boxShadow !== "none" ? " shadow " + s.boxShadow : "");
        }"""
    )


def test_keyboard_only_login_with_skip_link(
    page: Page, live_server: LiveServer
) -> None:
    live_server.make_user("ada")
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    assert focus_outline(page)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # From the top of main: the two calls to action, then Enter on "Log in".
    page.keyboard.press("Tab")
    expect(
        page.locator("main").get_by_role("link", name="Create an account")
    ).to_be_focused()
    assert focus_outline(page)
    page.keyboard.press("Tab")
    expect(page.locator("main").get_by_role("link", name="Log in")).to_be_focused()
    page.keyboard.press("Enter")

    # The login form starts in its first field.
    expect(page.get_by_label("Username or email")).to_be_focused()
    assert "shadow" in focus_outline(page)
    page.keyboard.type("ada")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Forgot password?")).to_be_focused()
    page.keyboard.press("Tab")
    remember = page.get_by_label("Keep me logged in")
    expect(remember).to_be_focused()
    assert focus_outline(page)
    page.keyboard.press("Space")
    expect(remember).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("main").get_by_role("button", name="Log in")).to_be_focused()
    assert focus_outline(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="ada")).to_be_visible()


def test_login_errors_are_announced_and_tied_to_fields(page: Page) -> None:
    page.goto("/auth/login")
    page.get_by_label("Username or email").fill("nobody")
    page.get_by_label("Password").fill("wrong password here")
    page.get_by_label("Password").press("Enter")
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    # Focus lands on the field in error, so its message is read out.
    expect(password).to_be_focused()
    error_id = password.get_attribute("aria-describedby") or ""
    error = page.locator(f"#{error_id.split()[-1]}")
    expect(error).to_have_text(re.compile("Invalid username or password"))
    expect(error).to_have_attribute("role", "alert")


def test_every_control_on_the_register_form_is_reachable_by_tab(page: Page) -> None:
    page.goto("/auth/register")
    page.locator("main").focus()
    reached = []
    for _ in range(6):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.name || ''"))
        assert focus_outline(page), f"no visible focus on {reached[-1]!r}"
    assert reached[:5] == ["username", "email", "password", "password2", "submit"]


def test_theme_follows_the_system_and_the_toggle_is_remembered(
    new_checked_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    context = new_checked_context(color_scheme="dark")
    page = context.new_page()
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("data-bs-theme", "dark")
    toggle = page.get_by_role("button", name="Switch to light theme")
    body_dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle.click()
    expect(html).to_have_attribute("data-bs-theme", "light")
    expect(page.get_by_role("button", name="Switch to dark theme")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != body_dark
    # The choice outlives the page, although the system still says dark.
    page.goto("/explore")
    expect(html).to_have_attribute("data-bs-theme", "light")


def test_post_box_counts_characters_and_times_are_relative(
    page: Page, live_server: LiveServer
) -> None:
    live_server.make_user("ada")
    with live_server.app.app_context():
        ada = db.session.scalar(db.select(User).where(User.username == "ada"))
        db.session.add(
            Post(
                body="An older one",
                author=ada,
                created_at=utcnow() - timedelta(minutes=5),
            )
        )
        db.session.commit()
    log_in(page, "ada")
    box = page.locator("textarea[name=body]")
    counter = page.locator(".char-counter")
    expect(counter).to_have_text("280 characters left")
    box.fill("Hello wrens")
    expect(counter).to_have_text("269 characters left")
    # The count is spoken once typing pauses, by a polite live region.
    live = page.locator(f"#{counter.get_attribute('id')}-live")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_have_text("269 characters left")
    assert (live.get_attribute("id") or "x") in (
        box.get_attribute("aria-describedby") or ""
    )

    time = page.locator("article time").first
    expect(time).to_have_text(re.compile(r"^5 min\.? ago$"))
    # Full local date and time on hover.
    expect(time).to_have_attribute("title", re.compile(r"\d{4}.*\d{1,2}:\d{2}"))


def test_phone_nav_collapses_behind_a_menu_button(
    new_checked_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    context = new_checked_context(
        viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.goto("/")
    login_link = page.locator("nav").get_by_role("link", name="Log in")
    expect(login_link).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(login_link).to_be_visible()
    login_link.click()
    expect(page).to_have_url(f"{live_server.url}/auth/login")
    # Nothing is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_checker_reports_what_it_should(page: Page, checker: PageChecker) -> None:
    """The page checker itself must be able to fail a test."""
    page.goto("/no-such-page")
    page.goto("/")
    page.evaluate("fetch('http://203.0.113.7/track').catch(() => {})")
    page.wait_for_timeout(300)
    found = "\n".join(checker.problems)
    checker.problems.clear()
    assert "HTTP 404" in found
    assert "203.0.113.7" in found
