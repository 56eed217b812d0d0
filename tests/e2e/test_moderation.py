"""Moderation in a real browser: a user reports a post; a moderator opens
/admin, resolves the report by deleting the post, suspends and unsuspends
an account and reads the audit log. Every new page is checked by axe in
both themes (the checker also fails on console errors and CSP reports) and
shot at desktop, tablet and phone sizes."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import LiveServer, PageChecker, log_in, shoot
from tests.e2e.test_accessibility import findings_in_both_themes

SPAM = "Cheap seeds, best prices, click now"


def test_report_resolve_suspend_and_audit(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    server = live_server
    server.make_user("alice")
    server.make_user("spammer")
    server.make_user("troll")
    server.make_user("mod", role="moderator")
    server.create_posts("spammer", [SPAM])
    found: list[str] = []

    def audit(page: Page, label: str) -> None:
        expect(page.locator("main h1")).to_have_count(1)
        found.extend(findings_in_both_themes(page, label))

    # Alice reports the post from its card.
    alice = new_checked_context().new_page()
    log_in(alice, "alice")
    alice.goto("/explore")
    card = alice.locator("article.post", has_text=SPAM)
    card.get_by_role("link", name=re.compile("^Report")).click()
    expect(alice.locator("main h1")).to_have_text("Report a post by spammer")
    audit(alice, "report form")
    shoot(alice, "moderation-report")
    alice.get_by_label("Reason").select_option("spam")
    alice.get_by_label(re.compile("Anything the moderators")).fill("Every day.")
    alice.get_by_role("button", name="Send report").click()
    expect(alice.locator(".flash-messages")).to_contain_text("the moderators will")
    # Users get 403 at /admin.
    checker.expect_status("/admin", 403)
    assert alice.goto("/admin").status == 403

    # The moderator sees it on the dashboard and deletes the post.
    mod = new_checked_context().new_page()
    log_in(mod, "mod")
    mod.locator("nav").get_by_role("link", name="Moderation").click()
    expect(mod).to_have_url(f"{server.url}/admin")
    expect(mod.locator(".report")).to_contain_text(SPAM)
    expect(mod.locator(".report")).to_contain_text("Every day.")
    audit(mod, "admin")
    shoot(mod, "moderation-admin")
    mod.get_by_role("link", name="Reports", exact=True).click()
    audit(mod, "admin reports")
    shoot(mod, "moderation-reports")
    report = mod.locator(".report").first
    report.get_by_label("Action").select_option("delete_post")
    report.get_by_label("Note").fill("Spam link")
    report.get_by_role("button", name=re.compile("^Resolve")).click()
    expect(mod.locator(".flash-messages")).to_contain_text("resolved")
    expect(mod.get_by_text("No open reports.")).to_be_visible()
    alice.goto("/explore")
    expect(alice.get_by_text(SPAM)).to_have_count(0)

    # Suspend and unsuspend the troll from the accounts page.
    mod.get_by_role("link", name="Accounts", exact=True).click()
    mod.get_by_label("Username starts with").fill("tro")
    mod.get_by_role("button", name="Find").click()
    row = mod.locator("#user-troll")
    audit(mod, "admin users")
    shoot(mod, "moderation-users")
    row.get_by_label("Reason for suspending troll").fill("Harassment")
    row.get_by_role("button", name="Suspend troll").click()
    expect(mod.locator(".flash-messages")).to_contain_text("troll is suspended.")
    expect(mod.locator("#user-troll")).to_contain_text("suspended")
    mod.locator("#user-troll").get_by_role("button", name="Unsuspend troll").click()
    expect(mod.locator(".flash-messages")).to_contain_text("no longer suspended")

    # The audit log has all three actions, newest first.
    mod.get_by_role("link", name="Audit log", exact=True).click()
    entries = mod.locator(".audit-entry")
    expect(entries).to_have_count(3)
    expect(entries.nth(0)).to_contain_text("unsuspend")
    expect(entries.nth(1)).to_contain_text("Harassment")
    expect(entries.nth(2)).to_contain_text("report_delete_post")
    expect(entries.nth(2)).to_contain_text("Spam link")
    audit(mod, "audit log")
    shoot(mod, "moderation-audit")

    assert not found, "axe found serious problems:\n" + "\n".join(found)
