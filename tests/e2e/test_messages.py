"""Private messages in a real browser: Alice writes to Bob from his profile,
Bob sees the nav badge, opens the conversation (the badge clears), reads it
and replies; each new page is checked by axe in both themes and shot at
desktop and phone sizes."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.e2e.conftest import LiveServer, PageChecker, log_in, shoot
from tests.e2e.test_accessibility import findings_in_both_themes

URL = "https://example.com/wrens/where-to-find-them?near=river"
FIRST = f"Hi Bob! Are you coming to the river tomorrow? <b>Map</b>: {URL}"
REPLY = "Yes, see you at the lock gate at eight.\nBring the binoculars."


def badge(page: Page) -> Locator:
    return page.locator("nav .message-badge")


def test_write_read_and_reply(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    server = live_server
    server.make_user("alice")
    server.make_user("bob")
    report: list[str] = []

    def audit(page: Page, label: str) -> None:
        expect(page.locator("main h1")).to_have_count(1)
        report.extend(findings_in_both_themes(page, label))

    alice = new_checked_context().new_page()
    bob = new_checked_context().new_page()
    log_in(alice, "alice")
    log_in(bob, "bob")
    expect(badge(bob)).to_have_count(0)

    # Alice starts from Bob's profile.
    alice.goto("/user/bob")
    alice.get_by_role("link", name="Message", exact=True).click()
    expect(alice).to_have_url(f"{server.url}/messages/bob")
    expect(alice.get_by_text("No messages yet.")).to_be_visible()
    audit(alice, "empty conversation")
    alice.get_by_label("Message bob").fill(FIRST)
    alice.get_by_role("button", name="Send").click()
    expect(alice.locator(".flash-messages")).to_contain_text("Your message was sent.")
    mine = alice.locator("li.message-mine")
    expect(mine).to_have_count(1)
    # Escaped, with the link made a link.
    expect(mine.locator(".message-body")).to_have_text(FIRST)
    expect(mine.locator(f"a[href='{URL}']")).to_have_attribute(
        "rel", "nofollow noopener ugc"
    )
    expect(mine.locator("b")).to_have_count(0)

    # Bob sees the badge, opens his messages and the conversation.
    bob.reload()
    expect(badge(bob)).to_have_text(re.compile(r"^\s*1\s+unread\s*$"))
    bob.locator("nav").get_by_role("link", name=re.compile("Messages")).click()
    expect(bob).to_have_url(f"{server.url}/messages")
    row = bob.locator("li.conversation")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("alice")
    expect(row.locator(".conversation-unread-count")).to_have_text(
        re.compile(r"^\s*1\s+unread\s*$")
    )
    audit(bob, "messages")
    row.get_by_role("link").click()
    expect(bob).to_have_url(f"{server.url}/messages/alice")
    expect(badge(bob)).to_have_count(0)
    expect(bob.locator("li.message-theirs .message-body")).to_have_text(FIRST)
    audit(bob, "conversation")

    # Bob replies, with a line break.
    bob.get_by_label("Message alice").fill(REPLY)
    bob.get_by_role("button", name="Send").click()
    expect(bob.locator(".flash-messages")).to_contain_text("Your message was sent.")
    expect(bob.locator("li.message")).to_have_count(2)
    expect(bob.locator("li.message").last).to_have_class(re.compile("message-mine"))

    # Alice now has the badge; her first message shows as read.
    alice.goto("/messages")
    expect(badge(alice)).to_have_text(re.compile(r"^\s*1\s+unread\s*$"))
    expect(alice.locator("li.conversation")).to_contain_text("Yes, see you")
    shoot(alice, "messages-list", ("desktop", "phone"))
    alice.goto("/messages/bob")
    expect(badge(alice)).to_have_count(0)
    expect(alice.locator("li.message-mine .message-meta")).to_contain_text("Read")
    expect(alice.locator("li.message-theirs .message-body")).to_have_text(REPLY)
    shoot(alice, "messages-conversation", ("desktop", "phone"))

    # A message that is too long is kept for shortening, with the error.
    alice.get_by_label("Message bob").fill("x" * 1001)
    alice.get_by_role("button", name="Send").click()
    expect(alice.locator("#body-error")).to_contain_text("at most 1000 characters")
    expect(alice.get_by_label("Message bob")).to_have_value("x" * 1001)
    audit(alice, "conversation with an error")

    assert not report, "axe found serious problems:\n" + "\n".join(report)
