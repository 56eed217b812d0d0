"""Failed jobs on /admin in a real browser: the dashboard's section and the
full list, checked by axe in both themes (the checker also fails on console
errors and CSP reports) and shot at desktop, tablet and phone sizes."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from app.services import job_failures
from tests.e2e.conftest import LiveServer, PageChecker, log_in, shoot
from tests.e2e.test_accessibility import findings_in_both_themes


def test_moderator_sees_failed_jobs(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    server = live_server
    server.make_user("mod", role="moderator")
    with server.app.app_context():
        job_failures.record(
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "mail.deliver",
            ConnectionRefusedError(111, "Connection refused"),
            "reset_password mail to …@a-rather-long-mail-domain.example.com: "
            "[Wren] Reset your password",
        )
        job_failures.record(
            "9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789",
            "app.services.exports.build_export_with_a_long_name",
            RuntimeError("disk full: " + "x" * 300),
            "(42)",
        )
    found: list[str] = []

    def audit(page: Page, label: str) -> None:
        expect(page.locator("main h1")).to_have_count(1)
        found.extend(findings_in_both_themes(page, label))

    mod = new_checked_context().new_page()
    log_in(mod, "mod")
    mod.goto("/admin")
    section = mod.locator("section", has=mod.locator("#jobs-heading"))
    expect(section.locator(".job-failure")).to_have_count(2)
    expect(section.locator(".job-failure").first).to_contain_text("build_export")
    expect(section).to_contain_text("ConnectionRefusedError")
    expect(section.locator(".failed-count")).to_have_text("2")
    # A long error is cut on the dashboard, whole on the list.
    expect(section.locator(".job-error").first).to_contain_text("xxx...")
    audit(mod, "admin with failed jobs")
    shoot(mod, "jobs-admin")

    mod.get_by_role("link", name="Failed jobs", exact=True).click()
    expect(mod.locator("main h1")).to_have_text("Failed jobs")
    expect(mod.locator(".job-failure")).to_have_count(2)
    expect(mod.locator(".job-error").first).to_contain_text("x" * 300)
    audit(mod, "failed jobs")
    shoot(mod, "jobs-list")

    assert not found, "axe found serious problems:\n" + "\n".join(found)
