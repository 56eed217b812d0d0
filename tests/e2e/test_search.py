"""Search in a real browser: from the nav box to highlighted results to the
post, then people; each page checked by axe in both themes, and shot at
desktop and phone sizes."""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, expect

from app.extensions import db
from app.models import User
from app.services import posts
from tests.e2e.conftest import LiveServer, PageChecker, log_in, shoot
from tests.e2e.test_accessibility import findings_in_both_themes

BODIES = [
    ("alice", "The wrens sang by the river this morning #birds"),
    ("bob", "Coffee first, then a long walk along the river with @alice"),
    ("alice", "<b>Not bold</b> and <mark>not marked</mark>: just a wren"),
    ("bob", "Nothing to see here"),
]


def publish(server: LiveServer) -> dict[str, int]:
    ids = {}
    with server.app.app_context():
        for username, body in BODIES:
            author = db.session.scalar(sa.select(User).where(User.username == username))
            ids[body] = posts.publish(author, body).id
        db.session.remove()
    return ids


def audit(page: Page, label: str, report: list[str]) -> None:
    report.extend(findings_in_both_themes(page, label))


def test_search_from_the_nav_to_a_post(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    server = live_server
    server.make_user("alice", about_me="Birdwatcher by the river")
    server.make_user("bob")
    ids = publish(server)
    report: list[str] = []
    page = new_checked_context().new_page()
    log_in(page, "bob")

    box = page.locator("nav").get_by_role("searchbox", name="Search posts")
    box.fill("wren river")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=wren\+river$"))
    expect(page.locator("main h1")).to_have_text("Search")
    expect(page.get_by_label("Search for")).to_have_value("wren river")
    results = page.locator("main article.post")
    expect(results).to_have_count(1)
    first = ids[BODIES[0][1]]
    card = page.locator(f"article#post-{first}")
    expect(card.locator(".post-body mark")).to_have_text(["wrens", "river"])
    expect(card.locator(".post-body a.hashtag")).to_have_attribute("href", "/tag/birds")
    audit(page, "search results", report)
    shoot(page, "search-results")

    # The post's own markup is text, never HTML.
    page.get_by_label("Search for").fill("wren")
    page.locator("main").get_by_role("button", name="Search").click()
    expect(results).to_have_count(2)
    odd = page.locator(f"article#post-{ids[BODIES[2][1]]} .post-body")
    expect(odd).to_have_text(BODIES[2][1])
    expect(odd.locator("b")).to_have_count(0)
    expect(odd.locator("mark")).to_have_text(["wren"])

    # Open a result.
    card.locator("a.post-time").click()
    expect(page).to_have_url(f"{server.url}/post/{first}")
    expect(page.locator(f"article#post-{first}")).to_have_attribute(
        "aria-current", "true"
    )

    # People, and an empty search, and nothing found.
    page.goto("/search?q=river&type=users")
    expect(page.locator(".user-list li")).to_have_count(1)
    expect(page.locator(".user-list")).to_contain_text("alice")
    audit(page, "people", report)
    page.goto("/search")
    expect(page.get_by_role("search").last).to_be_visible()
    audit(page, "empty search", report)
    shoot(page, "search-empty")
    page.goto("/search?q=%22NEAR(%20*")
    expect(page.locator(".no-results")).to_contain_text("Nothing found")
    audit(page, "nothing found", report)

    # On a phone the box is in the menu.
    phone = new_checked_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto("/explore")
    phone.locator(".navbar-toggler").click()
    box = phone.locator("nav").get_by_role("searchbox", name="Search posts")
    box.fill("coffee")
    box.press("Enter")
    expect(phone.locator("main article.post")).to_have_count(1)
    expect(phone.locator("main article.post mark")).to_have_text(["Coffee"])
    assert not report, "\n".join(report)
