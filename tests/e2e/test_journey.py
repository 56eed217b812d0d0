"""Issue 8's full journey, as one person would walk it in a browser."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.e2e.conftest import (
    LiveServer,
    PageChecker,
    fill_form,
    log_in,
    log_out,
    register,
    screenshot,
)

PASSWORD = "a long and unusual passphrase"
NEW_PASSWORD = "another quite long passphrase"
RESET_PASSWORD = "the third passphrase is best"


@pytest.fixture
def live_server(make_live_server: Callable[..., LiveServer]) -> LiveServer:
    return make_live_server(POSTS_PER_PAGE="3")


def expect_flash(page: Page, text: str) -> None:
    expect(page.locator(".flash-messages")).to_contain_text(re.compile(text, re.I))


def nav_user(page: Page, username: str) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=username
    )


def expect_posts(page: Page, bodies: list[str]) -> None:
    expect(page.locator("article .post-body")).to_have_text(bodies)


def test_full_journey(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    live_server.make_user("grace")
    grace_posts = [f"Grace says {n}" for n in range(1, 6)]
    live_server.create_posts("grace", grace_posts)
    page = new_checked_context().new_page()
    base = live_server.url

    # Register, then confirm the address from the mail.
    register(page, "robin", "robin@example.com", PASSWORD)
    expect(page).to_have_url(f"{base}/auth/login")
    expect_flash(page, "confirm")
    page.goto(live_server.last_mail_link("/auth/confirm/"))
    expect_flash(page, "confirmed")

    # Log in: no confirmation banner any more.
    log_in(page, "robin", PASSWORD)
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("region", name="Email confirmation")).to_have_count(0)

    # Edit the profile.
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("About me").fill("I like small birds.\nAnd tea.")
    page.get_by_role("button", name="Save profile").click()
    expect(page).to_have_url(f"{base}/user/robin")
    expect(page.locator(".about-me")).to_have_text("I like small birds.\nAnd tea.")

    # Post.
    page.get_by_role("link", name="Home").click()
    page.get_by_label(re.compile("What's happening", re.I)).fill("  My first post!  ")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page).to_have_url(f"{base}/")
    expect_flash(page, "live")
    expect_posts(page, ["My first post!"])

    # Follow grace from her profile.
    page.goto("/user/grace")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect_flash(page, "following grace")
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(page.locator(".follower-count")).to_contain_text("1")

    # The feed: own and followed posts, newest first, three to a page.
    page.get_by_role("link", name="Home").click()
    expect_posts(page, ["My first post!", "Grace says 5", "Grace says 4"])
    page.get_by_role("link", name="Older posts").click()
    expect_posts(page, ["Grace says 3", "Grace says 2", "Grace says 1"])
    expect(page.get_by_role("link", name="Older posts")).to_have_count(0)
    screenshot(page, "journey-feed-page-2")

    # Unfollow: grace's posts leave the feed.
    page.goto("/user/grace")
    page.get_by_role("button", name="Unfollow").click()
    expect_flash(page, "no longer following")
    page.get_by_role("link", name="Home").click()
    expect_posts(page, ["My first post!"])

    # Change the password: another browser logged in as robin is logged out.
    other = new_checked_context().new_page()
    log_in(other, "robin", PASSWORD)
    expect(nav_user(other, "robin")).to_be_visible()
    page.goto("/settings/password")
    fill_form(
        page,
        {
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    page.get_by_role("button", name="Change password").click()
    expect_flash(page, "password")
    expect(nav_user(page, "robin")).to_be_visible()
    other.goto("/settings/profile")
    expect(other).to_have_url(re.compile(r"/auth/login\?next="))
    expect(nav_user(other, "robin")).to_have_count(0)

    # Log out, then reset the password from the mailed link.
    log_out(page)
    expect(page.get_by_role("link", name="Sign up")).to_be_visible()
    page.goto("/auth/login")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_role("button", name="Send me a reset link").click()
    expect_flash(page, "link")
    page.goto(live_server.last_mail_link("/auth/reset_password/"))
    fill_form(page, {"password": RESET_PASSWORD, "password2": RESET_PASSWORD})
    page.get_by_role("button", name="Set new password").click()
    expect(page).to_have_url(f"{base}/auth/login")
    log_in(page, "robin", RESET_PASSWORD)
    expect(nav_user(page, "robin")).to_be_visible()

    # Delete the account: logged out, profile gone, posts gone from explore.
    page.goto("/settings/delete")
    page.get_by_label("Password").fill(RESET_PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect_flash(page, "deleted")
    expect(page.get_by_role("link", name="Sign up")).to_be_visible()
    checker.expect_status("/user/robin", 404)
    response = page.goto("/user/robin")
    assert response is not None
    assert response.status == 404
    page.goto("/explore")
    expect(page.locator("article .post-body")).to_have_text(grace_posts[::-1][:3])
