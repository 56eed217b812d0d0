"""Swagger UI and ReDoc work offline: local assets only, and requests run."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, Request, expect

from app.extensions import db
from app.models import User
from app.services import api_tokens
from tests.e2e.conftest import LiveServer, PageChecker, screenshot

OPERATION_COUNT = 34  # as many as tests/test_api_docs.py lists


def _record(page: Page) -> list[str]:
    urls: list[str] = []

    def on_request(request: Request) -> None:
        urls.append(request.url)

    page.on("request", on_request)
    return urls


def _assert_same_origin(urls: list[str], live_server: LiveServer) -> None:
    origin = urlsplit(live_server.url)
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob"}:
            continue
        assert (parts.scheme, parts.netloc) == (origin.scheme, origin.netloc), url


def _token_for(live_server: LiveServer, username: str) -> str:
    user = live_server.make_user(username)
    with live_server.app.app_context():
        return api_tokens.issue(db.session.get(User, user.id)).token


def test_swagger_ui_lists_operations_and_runs_a_request(
    page: Page, live_server: LiveServer, checker: PageChecker
) -> None:
    token = _token_for(live_server, "wren")
    live_server.create_posts("wren", ["Hello from the docs test"])
    urls = _record(page)

    page.goto("/api/docs")
    expect(page.locator(".opblock")).to_have_count(OPERATION_COUNT)
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Wren API")
    for path in ("/api/tokens", "/api/feed", "/api/me/following/{user_id}"):
        expect(
            page.locator(f'.opblock-summary-path[data-path="{path}"]').first
        ).to_be_visible()

    # Authorize with the bearer token, as a reader of the docs would.
    page.locator(".auth-wrapper .authorize").click()
    bearer = page.locator(".auth-container", has_text="BearerAuth")
    bearer.locator("input").fill(token)
    bearer.locator("button.authorize").click()
    expect(bearer.locator("button.authorize")).to_have_count(0)  # now "Logout"
    bearer.locator("button.btn-done").click()

    operation = page.locator(
        ".opblock.opblock-get",
        has=page.locator('.opblock-summary-path[data-path="/api/posts"]'),
    )
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    with page.expect_response(lambda r: urlsplit(r.url).path == "/api/posts") as answer:
        operation.get_by_role("button", name="Execute").click()
    assert answer.value.status == 200
    assert answer.value.request.headers["authorization"] == f"Bearer {token}"
    live = operation.locator(".live-responses-table")
    expect(live.locator("tbody .response-col_status").first).to_have_text("200")
    expect(live).to_contain_text("Hello from the docs test")
    screenshot(page, "api-docs-swagger-ui")

    assert any(
        urlsplit(u).path == "/static/vendor/swagger-ui/swagger-ui-bundle.js"
        for u in urls
    )
    assert any(urlsplit(u).path == "/api/openapi.json" for u in urls)
    _assert_same_origin(urls, live_server)


def test_redoc_renders_offline(
    page: Page, live_server: LiveServer, checker: PageChecker
) -> None:
    urls = _record(page)
    page.goto("/api/redoc")
    redoc = page.locator("#redoc")
    expect(redoc.get_by_role("heading", level=1)).to_contain_text(
        "Wren API", timeout=15000
    )
    for summary in ("Obtain a bearer token.", "Mark all your notifications as read."):
        expect(redoc.get_by_role("heading", name=summary)).to_be_visible()
    # The search box is served by ReDoc's blob: worker, allowed on this page only.
    search = redoc.get_by_placeholder("Search...")
    search.fill("revoke")
    results = redoc.locator('[data-role="search:results"]')
    expect(
        results.get_by_role("menuitem", name="Revoke the token sent with this request.")
    ).to_be_visible()
    expect(
        results.get_by_role("menuitem", name="Obtain a bearer token.")
    ).to_have_count(0)
    screenshot(page, "api-docs-redoc")

    assert any(
        urlsplit(u).path == "/static/vendor/redoc/redoc.standalone.js" for u in urls
    )
    _assert_same_origin(urls, live_server)


def test_docs_nav_links_between_views(
    page: Page, live_server: LiveServer, checker: PageChecker
) -> None:
    page.goto("/api/docs")
    page.get_by_role("navigation", name="API documentation").get_by_role(
        "link", name="ReDoc"
    ).click()
    expect(page).to_have_url(f"{live_server.url}/api/redoc")
    expect(page.locator("#redoc").get_by_role("heading", level=1)).to_contain_text(
        "Wren API", timeout=15000
    )
