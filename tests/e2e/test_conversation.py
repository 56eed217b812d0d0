"""The conversation layer in a real browser: mentions, notifications,
replies, likes with and without JavaScript, edits with history, tags and
deleting through the confirm page, each new page checked by axe."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Locator, Page, expect

from app.extensions import db
from app.models import Like, Post
from tests.e2e.conftest import LiveServer, PageChecker, log_in
from tests.e2e.test_accessibility import findings_in_both_themes

URL = "https://example.com/field-notes/2024/a-rather-long-path-about-wrens?x=1"
FIRST = f"Morning @bob! The #RiverWrens are back, notes: {URL}"
EDITED = f"Morning @bob! The #RiverWrens are back (three of them), notes: {URL}"
REPLY = "Lovely, @alice, I heard them too."


def badge(page: Page) -> Locator:
    return page.locator("nav .notification-badge")


def card(page: Page, post_id: int) -> Locator:
    return page.locator(f"article#post-{post_id}")


def like_button(page: Page, post_id: int) -> Locator:
    return card(page, post_id).locator(".like-button")


def expect_flash(page: Page, text: str) -> None:
    expect(page.locator(".flash-messages")).to_contain_text(text)


def like_rows(server: LiveServer, post_id: int) -> tuple[int, int]:
    """(rows in likes, the post's like_count) as the database has them."""
    with server.app.app_context():
        rows = db.session.scalar(
            sa.select(sa.func.count()).select_from(Like).where(Like.post_id == post_id)
        )
        count = db.session.scalar(sa.select(Post.like_count).where(Post.id == post_id))
        db.session.remove()
    return int(rows or 0), int(count or 0)


class NoPageLoad:
    """Watches a page: any main-frame navigation or document request after
    ``arm()`` counts as a page load, and so does losing a mark set in the
    page's window (a reload would start a fresh one)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.loads: list[str] = []
        page.on("framenavigated", self._navigated)
        page.on("request", self._request)

    def _navigated(self, frame: Any) -> None:
        if frame == self.page.main_frame:
            self.loads.append(f"navigated to {frame.url}")

    def _request(self, request: Any) -> None:
        if request.resource_type == "document":
            self.loads.append(f"document request {request.method} {request.url}")

    def arm(self) -> str:
        self.loads.clear()
        self.page.evaluate("() => { window.__wrenMark = 'still here'; }")
        return self.page.url

    def assert_none(self, url: str) -> None:
        assert self.page.url == url
        assert self.page.evaluate("() => window.__wrenMark") == "still here"
        assert not self.loads, self.loads


@pytest.fixture
def two_people(live_server: LiveServer) -> LiveServer:
    live_server.make_user("alice")
    live_server.make_user("bob")
    return live_server


def test_mention_reply_like_edit_tag_and_delete(
    two_people: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    server = two_people
    report: list[str] = []
    audited: list[str] = []

    def audit(page: Page, label: str) -> None:
        expect(page.locator("main h1")).to_have_count(1)
        report.extend(findings_in_both_themes(page, label))
        audited.append(label)

    alice = new_checked_context().new_page()
    bob = new_checked_context().new_page()
    log_in(alice, "alice")
    log_in(bob, "bob")
    expect(badge(bob)).to_have_count(0)

    # Alice mentions Bob, with a tag and a long link.
    alice.locator("textarea[name=body]").fill(FIRST)
    alice.get_by_role("button", name="Post", exact=True).click()
    expect_flash(alice, "Your post is live.")
    mine = alice.locator("article.post", has_text="The #RiverWrens are back")
    body = mine.locator(".post-body")
    expect(body.locator("a.mention")).to_have_attribute("href", "/user/bob")
    expect(body.locator("a.hashtag")).to_have_attribute("href", "/tag/riverwrens")
    link = body.locator(f"a[href='{URL}']")
    expect(link).to_have_attribute("rel", "nofollow noopener ugc")
    post_id = int((mine.get_attribute("id") or "").removeprefix("post-"))

    # Bob sees the badge, opens his notifications and follows the mention.
    bob.reload()
    expect(badge(bob)).to_have_text(re.compile(r"^\s*1\s+unread\s*$"))
    bob.locator("nav").get_by_role("link", name=re.compile("Notifications")).click()
    expect(bob).to_have_url(f"{server.url}/notifications")
    mention = bob.locator("li.notification").first
    expect(mention).to_contain_text("alice mentioned you")
    expect(mention).to_contain_text("New")
    expect(mention.locator(".post-body")).to_have_text(FIRST)
    audit(bob, "notifications")
    mention.locator(f"#post-{post_id} a.post-time").click()
    expect(bob).to_have_url(f"{server.url}/post/{post_id}")
    expect(card(bob, post_id)).to_have_attribute("aria-current", "true")
    expect(bob.get_by_text("No replies yet.")).to_be_visible()
    audit(bob, "thread")

    # Bob replies; the reply's own thread shows the post above it.
    bob.get_by_label("Reply to @alice").fill(REPLY)
    bob.locator("#reply").get_by_role("button", name="Reply").click()
    expect_flash(bob, "Your reply is live.")
    reply_id = int(bob.url.rsplit("/", 1)[1])
    assert reply_id != post_id
    expect(card(bob, reply_id)).to_contain_text("Replying to @alice")
    expect(card(bob, post_id)).to_contain_text("1 reply so far")

    # Alice is told about the reply (and not about her own mention).
    alice.goto("/")
    expect(badge(alice)).to_have_text(re.compile(r"^\s*1\s+unread\s*$"))
    alice.goto("/notifications")
    expect(alice.locator("li.notification")).to_have_count(1)
    expect(alice.locator("li.notification")).to_contain_text("bob replied to your post")
    expect(alice.locator("li.notification .post-body")).to_have_text(REPLY)

    # Bob likes and unlikes with JavaScript: in place, no page load.
    bob.goto(f"/post/{post_id}")
    button = like_button(bob, post_id)
    count = card(bob, post_id).locator(".like-count")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(count).to_be_hidden()
    watch = NoPageLoad(bob)
    url = watch.arm()
    with bob.expect_response(
        lambda r: r.url.endswith(f"/post/{post_id}/like") and r.status == 204
    ):
        button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(count).to_be_visible()
    expect(count).to_have_text("1 like")
    watch.assert_none(url)
    assert like_rows(server, post_id) == (1, 1)
    bob.reload()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(count).to_have_text("1 like")

    url = watch.arm()
    with bob.expect_response(
        lambda r: r.url.endswith(f"/post/{post_id}/unlike") and r.status == 204
    ):
        button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(count).to_be_hidden()
    watch.assert_none(url)
    assert like_rows(server, post_id) == (0, 0)

    # And without JavaScript: a plain form post and a redirect back.
    plain = new_checked_context(java_script_enabled=False).new_page()
    log_in(plain, "bob")
    plain.goto(f"/post/{post_id}")
    with plain.expect_navigation(url=re.compile(rf"/post/{post_id}(#post-\d+)?$")):
        like_button(plain, post_id).click()
    expect(like_button(plain, post_id)).to_have_attribute("aria-pressed", "true")
    expect(card(plain, post_id).locator(".like-count")).to_have_text("1 like")
    assert like_rows(server, post_id) == (1, 1)
    with plain.expect_navigation(url=re.compile(rf"/post/{post_id}(#post-\d+)?$")):
        like_button(plain, post_id).click()
    expect(like_button(plain, post_id)).to_have_attribute("aria-pressed", "false")
    expect(card(plain, post_id).locator(".like-count")).to_be_hidden()
    assert like_rows(server, post_id) == (0, 0)
    with plain.expect_navigation(url=re.compile(rf"/post/{post_id}(#post-\d+)?$")):
        like_button(plain, post_id).click()
    expect(like_button(plain, post_id)).to_have_attribute("aria-pressed", "true")
    assert like_rows(server, post_id) == (1, 1)
    plain.context.close()

    # Who liked it.
    bob.goto(f"/post/{post_id}")
    card(bob, post_id).locator(".like-count").click()
    expect(bob).to_have_url(f"{server.url}/post/{post_id}/likes")
    expect(bob.locator(".user-list li")).to_have_count(1)
    expect(bob.locator(".user-list")).to_contain_text("bob")
    audit(bob, "likes")

    # Alice edits her post: the card says "edited", the history has the old text.
    alice.goto(f"/post/{post_id}")
    expect(card(alice, post_id).locator(".like-button")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(card(alice, post_id).locator(".like-count")).to_have_text("1 like")
    expect(card(alice, post_id).locator(".post-edited")).to_have_count(0)
    card(alice, post_id).get_by_role("link", name="Edit this post").click()
    expect(alice).to_have_url(f"{server.url}/post/{post_id}/edit")
    expect(alice.locator("textarea[name=body]")).to_have_value(FIRST)
    audit(alice, "edit")
    alice.locator("textarea[name=body]").fill(EDITED)
    alice.get_by_role("button", name="Save").click()
    expect_flash(alice, "Your post has been updated.")
    expect(alice).to_have_url(f"{server.url}/post/{post_id}")
    expect(card(alice, post_id).locator(".post-body")).to_have_text(EDITED)
    edited = card(alice, post_id).locator("a.post-edited")
    expect(edited).to_have_text("edited")
    edited.click()
    expect(alice).to_have_url(f"{server.url}/post/{post_id}/history")
    expect(alice.locator("article.post .post-body")).to_have_text(EDITED)
    expect(alice.locator(".post-history li")).to_have_count(1)
    expect(alice.locator(".post-history .post-body")).to_have_text(FIRST)
    audit(alice, "history")

    # The tag link lists the post.
    alice.locator("article.post a.hashtag").click()
    expect(alice).to_have_url(f"{server.url}/tag/riverwrens")
    expect(alice.locator("main h1")).to_have_text("#riverwrens")
    expect(alice.locator("article.post")).to_have_count(1)
    expect(alice.locator(f"article#post-{post_id} .post-body")).to_have_text(EDITED)
    audit(alice, "tag")

    # Alice has a reply and a like waiting: "Mark all as read" clears the badge.
    alice.goto("/notifications")
    expect(badge(alice)).to_have_text(re.compile(r"^\s*2\s+unread\s*$"))
    expect(alice.locator("li.notification-unread")).to_have_count(2)
    expect(alice.locator("li.notification").first).to_contain_text(
        "bob liked your post"
    )
    alice.get_by_role("button", name="Mark all as read").click()
    expect_flash(alice, "All notifications are marked as read.")
    expect(badge(alice)).to_have_count(0)
    expect(alice.locator("li.notification-unread")).to_have_count(0)
    expect(alice.get_by_role("button", name="Mark all as read")).to_have_count(0)

    # Deleting from the card goes through the confirm page.
    alice.goto("/")
    card(alice, post_id).get_by_role("link", name="Delete this post").click()
    expect(alice).to_have_url(re.compile(rf"/post/{post_id}/delete\?next=(/|%2F)$"))
    expect(alice.locator("main h1")).to_have_text("Delete this post?")
    expect(card(alice, post_id).locator(".post-body")).to_have_text(EDITED)
    audit(alice, "delete confirm")
    alice.get_by_role("button", name="Delete post").click()
    expect(alice).to_have_url(f"{server.url}/")
    expect_flash(alice, "Your post has been deleted.")
    expect(card(alice, post_id)).to_have_count(0)
    checker.expect_status(f"/post/{post_id}", 404)
    response = alice.goto(f"/post/{post_id}")
    assert response is not None
    assert response.status == 404
    alice.goto(f"/post/{reply_id}")
    expect(card(alice, reply_id)).to_contain_text("Replying to a deleted post")

    assert sorted(audited) == sorted(
        ["notifications", "thread", "likes", "edit", "history", "tag", "delete confirm"]
    )
    assert not report, "\n".join(report)
