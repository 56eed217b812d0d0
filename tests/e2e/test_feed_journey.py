"""Issue 4's browser journey: post, follow someone, read the feed, page back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, log_in, screenshot


@pytest.fixture
def live_server(make_live_server) -> LiveServer:
    """Pages of three posts, so a short story still has an older page."""
    return make_live_server(POSTS_PER_PAGE="3")


def test_post_follow_and_read_the_feed(page: Page, live_server: LiveServer) -> None:
    server = live_server
    server.make_user("john")
    server.make_user("susan")
    server.create_posts("susan", [f"Susan's post number {i}" for i in range(1, 5)])

    log_in(page, "john")
    expect(page.get_by_text("Follow people to fill your feed")).to_be_visible()

    box = page.locator("textarea[name=body]")
    box.fill("Hello, Wren!")
    expect(page.locator(".char-counter")).to_contain_text("268")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Your post is live.")
    feed = page.locator("article.post")
    expect(feed).to_have_count(1)
    expect(feed.first).to_contain_text("Hello, Wren!")
    expect(feed.first.locator("time")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    )

    # Too long: refused, text kept, error tied to the field.
    box = page.locator("textarea[name=body]")
    box.fill("x" * 281)
    expect(page.locator(".char-counter")).to_contain_text("1 character too many")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("textarea[name=body]")).to_have_value("x" * 281)
    expect(page.get_by_role("alert").first).to_contain_text("at most 280")

    page.get_by_role("link", name="Explore").first.click()
    page.locator("article.post a.post-author", has_text="susan").first.click()
    expect(page).to_have_url(f"{server.url}/user/susan")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("button", name="Unfollow", exact=True)).to_be_visible()
    expect(page.locator("a[href='/user/susan/followers']")).to_contain_text("1")

    page.goto("/")
    bodies = page.locator("article.post .post-body")
    expect(bodies).to_have_text(
        ["Hello, Wren!", "Susan's post number 4", "Susan's post number 3"]
    )
    assert screenshot(page, "feed").stat().st_size > 0
    page.get_by_role("link", name="Older posts").click()
    expect(bodies).to_have_text(["Susan's post number 2", "Susan's post number 1"])
    expect(page.get_by_role("link", name="Older posts")).to_have_count(0)

    # Delete your own post from the feed.
    page.goto("/")
    mine = page.locator("article.post", has_text="Hello, Wren!")
    mine.get_by_role("link", name=re.compile("Delete")).click()
    expect(page.get_by_role("heading", name="Delete this post?")).to_be_visible()
    page.get_by_role("button", name="Delete post").click()
    expect(page.get_by_role("status").first).to_contain_text("deleted")
    expect(page.locator("article.post", has_text="Hello, Wren!")).to_have_count(0)
