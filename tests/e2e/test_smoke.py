"""Issue 3's browser smoke test: register, log in, see your profile."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, log_in, register, screenshot

PASSWORD = "a long and unusual passphrase"


def test_register_login_profile(page: Page, live_server: LiveServer) -> None:
    register(page, "robin", "robin@example.com", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/auth/login")
    expect(page.get_by_role("status").first).to_contain_text("confirm")

    log_in(page, "robin", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")

    page.goto("/user/robin")
    expect(page.get_by_role("heading", level=1)).to_have_text("robin")
    avatar = page.get_by_role("img", name="Avatar of robin")
    expect(avatar).to_be_visible()
    # The avatar is served by Wren itself (AVATAR_PROVIDER=local) and decoded.
    assert avatar.get_attribute("src", timeout=1000).startswith("/avatar/")
    assert avatar.evaluate("img => img.naturalWidth") > 0
    assert screenshot(page, "smoke-profile").stat().st_size > 0
