"""Error pages a browser rarely reaches on purpose: 401, 429, 500 and 503.

Each must be a page in the site layout with its status, a way home, no
traceback, and no serious axe finding in either theme.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import abort
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, PageChecker, fill_form
from tests.e2e.test_accessibility import axe_findings, describe


def _fail_hard() -> str:
    raise RuntimeError("deliberate failure for the 500 page")


def _database_gone() -> str:
    raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))


def _needs_login() -> str:
    abort(401)


@pytest.fixture
def live_server(make_live_server: Callable[..., LiveServer]) -> LiveServer:
    server = make_live_server(RATELIMIT_ENABLED="true", RATELIMIT_LOGIN="2/minute")
    app = server.app
    # Production behaviour: the error handler answers instead of re-raising.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    # Routes only this test server has; no request has been served yet.
    app.add_url_rule("/test-only/500", "test_500", _fail_hard)
    app.add_url_rule("/test-only/503", "test_503", _database_gone)
    app.add_url_rule("/test-only/401", "test_401", _needs_login)
    return server


def audit(page: Page, label: str) -> list[str]:
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(
        page.locator("main").get_by_role("link", name="Go to the home page")
    ).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Traceback")
    report = []
    for theme in ("light", "dark"):
        page.evaluate("t => document.documentElement.dataset.bsTheme = t", theme)
        report += describe(f"{label} [{theme}]", axe_findings(page))
    return report


@pytest.mark.parametrize(
    ("status", "title"),
    [
        (401, "Please log in"),
        (500, "Something went wrong"),
        (503, "Temporarily unavailable"),
    ],
)
def test_server_side_error_pages(
    page: Page, checker: PageChecker, status: int, title: str
) -> None:
    path = f"/test-only/{status}"
    checker.expect_status(path, status)
    response = page.goto(path)
    assert response is not None
    assert response.status == status
    expect(page.locator("main h1")).to_contain_text(title)
    assert not audit(page, str(status))


def test_too_many_login_attempts_page(page: Page, checker: PageChecker) -> None:
    checker.expect_status("/auth/login", 429)
    for _ in range(3):
        page.goto("/auth/login")
        fill_form(page, {"username": "nobody", "password": "not the password"})
        page.locator("main form [type=submit]").click()
        page.wait_for_load_state()
    expect(page.locator("main h1")).to_contain_text("Slow down")
    assert not audit(page, "429")
