"""States a person can reach by accident end in a sensible page, never a 500."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Locator, Page, expect

from app.extensions import db
from app.models import Post
from tests.e2e.conftest import LiveServer, PageChecker, fill_form, log_in, log_out


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def test_double_submitting_the_post_form_posts_once(
    page: Page, live_server: LiveServer
) -> None:
    live_server.make_user("ada")
    log_in(page, "ada")
    page.locator("textarea[name=body]").fill("Only once, please")
    live_server.post_delay = 0.8
    # Two clicks a moment apart, as an impatient person on a slow line does;
    # timed inside the page so the second lands while the first is pending.
    page.get_by_role("button", name="Post", exact=True).evaluate(
        "b => { b.click(); setTimeout(() => b.click(), 150); }"
    )
    expect(page.locator(".flash-messages")).to_contain_text("live")
    expect(page.locator("article .post-body")).to_have_text(["Only once, please"])
    with live_server.app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 1


def test_back_after_logout_does_not_show_the_private_page(
    page: Page, live_server: LiveServer
) -> None:
    live_server.make_user("ada", about_me="secret-ish")
    log_in(page, "ada")
    page.goto("/settings/profile")
    expect(page.get_by_label("About me")).to_have_value("secret-ish")
    log_out(page)
    expect(main_nav(page).get_by_role("link", name="Log in")).to_be_visible()
    page.go_back()
    page.wait_for_load_state()
    # The browser asks the server again instead of showing a stale copy.
    expect(page).to_have_url(re.compile(r"/auth/login\?next=%2Fsettings%2Fprofile"))
    expect(main_nav(page).get_by_role("link", name="ada")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("secret-ish")


def test_stale_reset_link_explains_and_offers_a_new_one(
    page: Page, live_server: LiveServer, checker: PageChecker
) -> None:
    live_server.make_user("ada")
    page.goto("/auth/reset_password_request")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.locator(".flash-messages")).to_be_visible()
    link = live_server.last_mail_link("/auth/reset_password/")
    page.goto(link)
    fill_form(
        page, {"password": "brand new passphrase", "password2": "brand new passphrase"}
    )
    page.get_by_role("button", name="Set new password").click()
    expect(page).to_have_url(f"{live_server.url}/auth/login")

    # The same link again: used up, so an explanation and a way forward.
    path = link.removeprefix(live_server.url)
    checker.expect_status(path)
    response = page.goto(link)
    assert response is not None
    assert 400 <= response.status < 500
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        re.compile("expired|used|invalid", re.I)
    )
    page.locator("main").get_by_role(
        "link", name=re.compile("new (reset )?link|reset", re.I)
    ).first.click()
    expect(page).to_have_url(f"{live_server.url}/auth/reset_password_request")


def test_following_twice_from_two_tabs_counts_once(
    new_checked_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    live_server.make_user("ada")
    live_server.make_user("grace")
    context = new_checked_context()
    first = context.new_page()
    log_in(first, "ada")
    second = context.new_page()
    for tab in (first, second):
        tab.goto("/user/grace")
        expect(tab.get_by_role("button", name="Follow", exact=True)).to_be_visible()

    for tab in (first, second):
        tab.get_by_role("button", name="Follow", exact=True).click()
        expect(tab.locator(".flash-messages")).to_contain_text("following grace")
        expect(tab.locator(".follower-count")).to_contain_text(
            re.compile(r"\b1 follower\b")
        )
        expect(tab.get_by_role("button", name="Unfollow")).to_be_visible()

    # And the same for unfollowing from a stale tab.
    first.reload()
    second.reload()
    for tab in (first, second):
        tab.get_by_role("button", name="Unfollow").click()
        expect(tab.locator(".flash-messages")).to_contain_text("no longer following")
        expect(tab.locator(".follower-count")).to_contain_text(
            re.compile(r"\b0 followers\b")
        )


def test_post_form_after_session_ended_asks_to_log_in(
    new_checked_context: Callable[..., BrowserContext],
    live_server: LiveServer,
    checker: PageChecker,
) -> None:
    """A tab left open after logging out elsewhere: the post is not lost in a 500."""
    live_server.make_user("ada")
    context = new_checked_context()
    writer = context.new_page()
    log_in(writer, "ada")
    other = context.new_page()
    other.goto("/")
    log_out(other)
    writer.locator("textarea[name=body]").fill("Written in a stale tab")
    checker.expect_status("/", 400)
    writer.get_by_role("button", name="Post", exact=True).click()
    # The CSRF token belonged to the ended session: a friendly page, no post.
    writer.wait_for_load_state()
    expect(main_nav(writer).get_by_role("link", name="ada")).to_have_count(0)
    expect(writer.locator("main h1")).to_be_visible()
    expect(writer.locator("main")).to_contain_text("This form has expired")
    with live_server.app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 0
