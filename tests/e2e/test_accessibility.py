"""axe-core on every page type, light and dark: no serious or critical findings."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, PageChecker, log_in, log_out

AXE = Axe()
BLOCKING = {"serious", "critical"}


def axe_findings(page: Page) -> list[dict[str, Any]]:
    results = AXE.run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING]


def findings_in_both_themes(page: Page, label: str) -> list[str]:
    """axe's serious and critical findings on the page as it is, in the
    light theme and in the dark one (left light again)."""
    found: list[str] = []
    for theme in ("light", "dark"):
        page.evaluate("t => document.documentElement.dataset.bsTheme = t", theme)
        found.extend(describe(f"{label} [{theme}]", axe_findings(page)))
    page.evaluate("() => document.documentElement.dataset.bsTheme = 'light'")
    return found


def describe(label: str, findings: list[dict[str, Any]]) -> list[str]:
    lines = []
    for v in findings:
        targets = [", ".join(node["target"]) for node in v["nodes"][:3]]
        lines.append(f"{label}: {v['id']} ({v['impact']}) {v['help']} at {targets}")
    return lines


def submit_form(page: Page, action: str, fields: dict[str, str]) -> None:
    """Post a form the way a stale or tampered page would (from DevTools)."""
    page.evaluate(
        """([action, fields]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement("input");
                input.type = "hidden"; input.name = name; input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""",
        [action, fields],
    )
    page.wait_for_load_state()


@pytest.fixture
def site(live_server: LiveServer) -> LiveServer:
    live_server.make_user("ada", about_me="Birdwatcher.\nLondon.")
    live_server.make_user("grace")
    live_server.make_user("fresh", email_confirmed_at=None)
    live_server.create_posts("grace", ["Hello from grace", "Tea time <b>now</b>"])
    live_server.create_posts("ada", ["Wrens are loud for their size."])
    return live_server


def test_every_page_type_has_no_serious_axe_findings(
    site: LiveServer, checker: PageChecker, page: Page
) -> None:
    report: list[str] = []
    checked: list[str] = []

    def audit(label: str, status: int = 200) -> None:
        expect(page.locator("main h1")).to_have_count(1)
        # Both themes on the same page: contrast is what differs between them.
        for theme in ("light", "dark"):
            page.evaluate("t => document.documentElement.dataset.bsTheme = t", theme)
            report.extend(describe(f"{label} [{theme}]", axe_findings(page)))
        checked.append(label)

    def visit(label: str, path: str, status: int = 200) -> None:
        if status != 200:
            checker.expect_status(path.split("?")[0], status)
        response = page.goto(path)
        assert response is not None
        assert response.status == status, f"{path}: {response.status}"
        audit(label, status)

    # Anonymous pages.
    visit("landing", "/")
    visit("login", "/auth/login")
    visit("register", "/auth/register")
    page.get_by_role("button", name=re.compile("create account", re.I)).click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    audit("register with errors")
    visit("reset request", "/auth/reset_password_request")
    visit("explore", "/explore")
    visit("profile", "/user/grace")
    visit("followers", "/user/grace/followers")
    visit("error 404", "/user/nobody-here", 404)
    visit("error 405", "/auth/logout", 405)
    checker.expect_status("/auth/reset_password/not-a-token")
    page.goto("/auth/reset_password/not-a-token")
    expect(page.locator("main h1")).to_contain_text("cannot be used")
    audit("stale reset link")

    # Logged in.
    log_in(page, "ada")
    visit("feed", "/")
    visit("own profile", "/user/ada")
    visit("following", "/user/ada/following")
    for name in ("profile", "password", "email", "delete"):
        visit(f"settings {name}", f"/settings/{name}")

    # A form posted without its CSRF token, and one to a post of someone else.
    checker.expect_status("/settings/profile", 400)
    submit_form(page, "/settings/profile", {"username": "ada", "about_me": ""})
    expect(page.locator("main h1")).to_contain_text("Bad request")
    audit("error 400 (missing CSRF token)")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    checker.expect_status("/post/1/delete", 403)
    submit_form(page, "/post/1/delete", {"csrf_token": token})
    expect(page.locator("main h1")).to_contain_text("Forbidden")
    audit("error 403")
    checker.expect_status("/settings/profile", 413)
    submit_form(
        page, "/settings/profile", {"csrf_token": token, "about_me": "x" * 1_100_000}
    )
    expect(page.locator("main h1")).to_contain_text("Too large")
    audit("error 413")

    # The unconfirmed-address banner.
    log_out(page)
    log_in(page, "fresh")
    visit("feed, unconfirmed address", "/")
    expect(page.get_by_role("region", name="Email confirmation")).to_be_visible()

    assert len(checked) >= 20
    assert not report, "\n".join(report)
