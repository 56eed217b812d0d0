"""Browser tests: a live Wren on a free loopback port, driven by Debian's Chromium.

Every page a test opens is watched by ``PageChecker``: console errors, CSP
violations, failed requests, unexpected 4xx/5xx answers and any request to a
host other than the live server fail the test at teardown.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    Route,
)
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from app.extensions import db
from app.models import User
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories import DEFAULT_PASSWORD

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "screenshots" / "e2e"
LOGOUT = "/auth/logout"
MAIL_LINK_RE = re.compile(r"https?://[^\s\"'<>]+")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)
            # When the browser drops a connection mid-download (it navigated
            # on), the dev server's thread leaves the static file for the GC:
            # a server artefact that must not fail whichever test runs then.
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))
            item.add_marker(
                pytest.mark.filterwarnings(
                    "ignore::pytest.PytestUnraisableExceptionWarning"
                )
            )


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Overrides pytest-playwright's: never look for a downloaded browser."""
    return {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@dataclass
class LiveServer:
    """A running Wren plus what a test needs to read its side effects."""

    app: Flask
    url: str
    mail_dir: Path
    # Seconds every POST waits before the app sees it: a slow network.
    post_delay: float = 0.0

    def mails(self) -> list[str]:
        return [p.read_text() for p in sorted(self.mail_dir.glob("*.log"))]

    def last_mail_link(self, path_fragment: str) -> str:
        """The newest link in the mails that contains ``path_fragment``."""
        for text in reversed(self.mails()):
            # Quoted-printable soft line breaks would cut a long link in two.
            text = text.replace("=\n", "")
            for link in MAIL_LINK_RE.findall(text):
                if path_fragment in link:
                    return link
        raise AssertionError(f"no mail with a {path_fragment!r} link")

    def make_user(self, username: str, **kwargs: Any) -> User:
        from tests.factories import UserFactory

        with self.app.app_context():
            user = UserFactory(username=username, **kwargs)
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    def create_posts(self, username: str, bodies: list[str]) -> None:
        from app.models import Post

        with self.app.app_context():
            author = db.session.scalar(db.select(User).where(User.username == username))
            assert author is not None
            for body in bodies:
                db.session.add(Post(body=body, author=author))
                # Separate commits keep ids (the feed cursor) in body order.
                db.session.commit()


class QuietHandler(WSGIRequestHandler):
    """Keeps the access log out of test output; errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture
def make_live_server(
    make_app: Callable[..., Flask], tmp_path: Path
) -> Iterator[Callable[..., LiveServer]]:
    servers: list[tuple[BaseWSGIServer, threading.Thread, Flask]] = []

    def start(**env: str) -> LiveServer:
        mail_dir = tmp_path / "mail"
        mail_dir.mkdir(exist_ok=True)
        settings = {
            "MAIL_BACKEND": "file",
            "MAIL_FILE_PATH": str(mail_dir),
            "AVATAR_PROVIDER": "local",
            "RATELIMIT_ENABLED": "false",
            "WTF_CSRF_ENABLED": "true",
            **env,
        }
        app = make_app(**settings)
        live: LiveServer

        def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
            if live.post_delay and environ["REQUEST_METHOD"] == "POST":
                time.sleep(live.post_delay)
            return app(environ, start_response)

        server = make_server(
            "127.0.0.1", 0, wsgi, threaded=True, request_handler=QuietHandler
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread, app))
        live = LiveServer(app, f"http://127.0.0.1:{server.server_port}", mail_dir)
        return live

    yield start
    for server, thread, app in servers:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def live_server(make_live_server: Callable[..., LiveServer]) -> LiveServer:
    return make_live_server()


@dataclass
class PageChecker:
    """Collects everything that would be a visible or silent defect in a page."""

    origin: str
    problems: list[str] = field(default_factory=list)
    allowed_status_paths: dict[str, int | None] = field(default_factory=dict)

    def expect_status(self, path: str, status: int | None = None) -> None:
        """Declare a deliberate error page (``None``: any 4xx), e.g. a 404."""
        self.allowed_status_paths[path] = status

    def _allowed(self, url: str, status: int | None = None) -> bool:
        path = urlsplit(url).path
        if path not in self.allowed_status_paths:
            return False
        expected = self.allowed_status_paths[path]
        if status is None:
            return True
        return status == expected if expected else 400 <= status < 500

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.route("**/*", self._route)
        context.on("console", self._console)
        context.on("weberror", lambda e: self.problems.append(f"JS error: {e.error}"))
        context.on("requestfailed", self._request_failed)
        context.on("response", self._response)
        return context

    def _route(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(self.origin + "/") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.problems.append(f"request to another host: {url}")
            route.abort("blockedbyclient")

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"CSP violation: {text}")
        elif message.type == "error":
            location = message.location.get("url", "") if message.location else ""
            if "Failed to load resource" in text and self._allowed(location):
                return
            self.problems.append(f"console error: {text} ({location})")

    def _request_failed(self, request: Request) -> None:
        failure = request.failure or ""
        # Navigating away cancels pending loads; that is not a defect.
        if "ERR_ABORTED" in failure and request.resource_type != "document":
            return
        if "blockedbyclient" in failure.lower() or "ERR_BLOCKED_BY_CLIENT" in failure:
            return  # already recorded by _route
        self.problems.append(f"request failed: {request.url} {failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400 and not self._allowed(response.url, response.status):
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def assert_clean(self) -> None:
        assert not self.problems, "page problems:\n" + "\n".join(self.problems)


@pytest.fixture
def checker(live_server: LiveServer) -> Iterator[PageChecker]:
    check = PageChecker(live_server.url)
    yield check
    check.assert_clean()


@pytest.fixture
def browser_context_args(live_server: LiveServer) -> dict[str, Any]:
    """Overrides pytest-playwright's: every context talks to the live server."""
    return {
        "base_url": live_server.url,
        "viewport": {"width": 1280, "height": 800},
        # No colour transitions: axe must measure final colours, not mid-fade.
        "reduced_motion": "reduce",
    }


@pytest.fixture
def new_checked_context(
    browser: Browser,
    browser_context_args: dict[str, Any],
    checker: PageChecker,
) -> Iterator[Callable[..., BrowserContext]]:
    contexts: list[BrowserContext] = []

    def create(**kwargs: Any) -> BrowserContext:
        context = checker.watch(
            browser.new_context(**{**browser_context_args, **kwargs})
        )
        # Fail in seconds, not half a minute, when an element never shows up.
        context.set_default_timeout(8000)
        contexts.append(context)
        return context

    yield create
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_checked_context: Callable[..., BrowserContext]) -> Page:
    """Overrides pytest-playwright's ``page`` with a checked one."""
    return new_checked_context().new_page()


def fill_form(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.locator(f"form [name={name}]").first.fill(value)


def register(page: Page, username: str, email: str, password: str) -> None:
    page.goto("/auth/register")
    fill_form(
        page,
        {
            "username": username,
            "email": email,
            "password": password,
            "password2": password,
        },
    )
    page.get_by_role("button", name=re.compile("register|sign up|create", re.I)).click()


def log_in(page: Page, username: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto("/auth/login")
    fill_form(page, {"username": username, "password": password})
    page.locator("main form").get_by_role(
        "button", name=re.compile("log in", re.I)
    ).click()
    # Wait for the page after the redirect: a goto() straight after the click
    # would abort the login mid-flight.
    page.locator(f"nav form[action='{LOGOUT}']").wait_for(state="attached")
    page.wait_for_load_state()


def log_out(page: Page) -> None:
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    page.get_by_role("button", name=re.compile("log out", re.I)).click()
    page.locator(f"nav form[action='{LOGOUT}']").wait_for(state="detached")
    page.wait_for_load_state()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# The widths the browser tests photograph pages at (scripts/screenshots.py's).
SHOT_SIZES = {"desktop": (1280, 860), "tablet": (820, 1180), "phone": (390, 844)}


def shoot(page: Page, name: str, sizes: tuple[str, ...] = tuple(SHOT_SIZES)) -> None:
    """Screenshots ``<name>-<size>-<theme>`` at each of ``sizes``, light and
    dark; the page is left light, at desktop size."""
    for size in sizes:
        width, height = SHOT_SIZES[size]
        page.set_viewport_size({"width": width, "height": height})
        for theme in ("light", "dark"):
            page.evaluate("t => document.documentElement.dataset.bsTheme = t", theme)
            screenshot(page, f"{name}-{size}-{theme}")
    page.evaluate("() => document.documentElement.dataset.bsTheme = 'light'")
    page.set_viewport_size({"width": 1280, "height": 860})
