"""Blocking in a real browser: Alice blocks Bob from his profile, his posts
vanish from her explore page, she finds him on /settings/blocks and unblocks
him. Each new page state is checked by axe in both themes and shot at the
three widths."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import LiveServer, PageChecker, log_in, shoot
from tests.e2e.test_accessibility import findings_in_both_themes

BOB_SAYS = "Bob's loud opinion about binoculars"
CAROL_SAYS = "Carol's quiet note about wrens"


def test_block_from_a_profile_then_unblock_from_settings(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    server = live_server
    for name in ("alice", "bob", "carol"):
        server.make_user(name)
    server.create_posts("bob", [BOB_SAYS])
    server.create_posts("carol", [CAROL_SAYS])
    report: list[str] = []

    def audit(page: Page, label: str) -> None:
        expect(page.locator("main h1")).to_have_count(1)
        report.extend(findings_in_both_themes(page, label))

    alice = new_checked_context().new_page()
    log_in(alice, "alice")
    alice.goto("/explore")
    expect(alice.get_by_text(BOB_SAYS)).to_be_visible()

    # From Bob's profile: the buttons, then the block.
    alice.goto("/user/bob")
    controls = alice.locator(".block-controls")
    expect(controls.get_by_role("button", name="Mute")).to_be_visible()
    audit(alice, "profile with block and mute")
    shoot(alice, "blocks-profile")
    controls.get_by_role("button", name="Block").click()
    expect(alice.locator(".flash-messages")).to_contain_text("You blocked bob.")
    expect(alice.locator(".block-state")).to_have_text("You blocked bob.")
    expect(alice.get_by_text(BOB_SAYS)).to_have_count(0)
    expect(alice.get_by_role("button", name="Follow")).to_have_count(0)
    alice.reload()  # without the flash
    audit(alice, "blocked profile")
    shoot(alice, "blocks-profile-blocked")

    alice.goto("/explore")
    expect(alice.get_by_text(CAROL_SAYS)).to_be_visible()
    expect(alice.get_by_text(BOB_SAYS)).to_have_count(0)

    # Settings: the nav leads to the list, where he is, and back out.
    alice.goto("/settings/profile")
    alice.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Blocked and muted"
    ).click()
    expect(alice).to_have_url(f"{server.url}/settings/blocks")
    entry = alice.locator("li.blocked-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("bob")
    expect(alice.get_by_text("You have not muted anyone.")).to_be_visible()
    audit(alice, "settings blocks")
    shoot(alice, "blocks-settings")
    entry.get_by_role("button", name="Unblock bob").click()
    expect(alice).to_have_url(f"{server.url}/settings/blocks")
    expect(alice.locator(".flash-messages")).to_contain_text("You unblocked bob.")
    expect(alice.get_by_text("You have not blocked anyone.")).to_be_visible()
    audit(alice, "settings blocks, empty")

    alice.goto("/explore")
    expect(alice.get_by_text(BOB_SAYS)).to_be_visible()

    assert not report, "axe found serious problems:\n" + "\n".join(report)
