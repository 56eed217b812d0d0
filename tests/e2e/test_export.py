"""Data export in a real browser: Alice starts an export, the page follows
its progress by itself (static/js/export.js) until the job is done, and she
downloads the zip; the page is checked by axe in both themes and shot at
desktop and phone sizes, light and dark.

The live server keeps jobs in a real queue (JOBS_IMMEDIATE off) so the page
is seen while the export waits; the test then runs the job as the worker
would, and the page must notice on its own.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import LiveServer, PageChecker, log_in, shoot
from tests.e2e.test_accessibility import findings_in_both_themes


@pytest.fixture
def live_server(make_live_server: Callable[..., LiveServer]) -> LiveServer:
    return make_live_server(JOBS_IMMEDIATE="false")


def test_start_follow_and_download_an_export(
    live_server: LiveServer,
    checker: PageChecker,
    new_checked_context: Callable[..., BrowserContext],
) -> None:
    server = live_server
    server.make_user("alice", about_me="Watching wrens by the river.")
    server.create_posts("alice", ["First #wren of spring", "Nest spotted, ünïcode ✓"])
    report: list[str] = []

    def audit(page: Page, label: str) -> None:
        expect(page.locator("main h1")).to_have_count(1)
        report.extend(findings_in_both_themes(page, label))

    page = new_checked_context().new_page()
    log_in(page, "alice")
    page.goto("/settings/profile")
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Export your data"
    ).click()
    expect(page).to_have_url(f"{server.url}/settings/export")
    expect(page.get_by_text("You have not exported your data yet.")).to_be_visible()
    audit(page, "export page, empty")
    shoot(page, "export-empty", ("desktop", "phone"))

    page.get_by_role("button", name="Start export").click()
    expect(page.locator(".flash-messages")).to_contain_text("Your export has started")
    item = page.locator("li.export-item")
    expect(item).to_have_count(1)
    expect(item.locator(".export-state")).to_have_text("Waiting to start")
    expect(item.locator("progress")).to_be_visible()
    expect(page.get_by_role("button", name="Start export")).to_have_count(0)
    audit(page, "export page, waiting")
    shoot(page, "export-waiting", ("desktop", "phone"))

    # The worker picks the job up; the open page notices and reloads.
    huey = server.app.extensions["jobs"].huey
    with server.app.test_request_context():
        huey.execute(huey.dequeue())
    expect(item.locator(".export-state")).to_have_text("Ready", timeout=10_000)
    download_link = page.get_by_role("link", name="Download zip")
    expect(download_link).to_be_visible()
    expect(item).to_contain_text("available until")
    audit(page, "export page, ready")
    shoot(page, "export-ready", ("desktop", "phone"))

    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert re.fullmatch(
        r"wren-export-alice-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename
    )
    with zipfile.ZipFile(download.path()) as archive:
        assert archive.testzip() is None
        written = json.loads(archive.read("posts.json"))
        profile = json.loads(archive.read("profile.json"))
    assert [post["body"] for post in written] == [
        "First #wren of spring",
        "Nest spotted, ünïcode ✓",
    ]
    assert profile["about"] == "Watching wrens by the river."

    # The notification leads back to the page.
    page.goto("/notifications")
    audit(page, "notifications with an export")
    shoot(page, "export-notification", ("desktop", "phone"))
    page.get_by_role("link", name="Your data export is ready").click()
    expect(page).to_have_url(f"{server.url}/settings/export")
    audit(page, "export page, from the notification")

    assert not report, "axe found serious problems:\n" + "\n".join(report)
