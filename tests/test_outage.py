"""PostgreSQL goes away mid-run: fast 503s, then recovery in the same processes."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conftest import CSRF_RE
from tests.factories import DEFAULT_PASSWORD
from tests.servers import LiveServer, PostgresCluster, flask_cli, own_cluster_marks

pytestmark = own_cluster_marks()

# "A few seconds": the connect timeout is 3 s, and a refused connection is
# immediate; anything slower means a worker is stuck.
MAX_SECONDS = 4.0
ROUNDS = 6  # enough requests to reach every worker and every pooled connection


def timed(
    session: requests.Session, method: str, url: str, **kwargs: Any
) -> requests.Response:
    started = time.monotonic()
    response = session.request(
        method, url, allow_redirects=False, timeout=MAX_SECONDS * 3, **kwargs
    )
    elapsed = time.monotonic() - started
    assert elapsed < MAX_SECONDS, f"{method} {url} took {elapsed:.1f} s"
    return response


def submit(session: requests.Session, url: str, data: dict[str, str]) -> int:
    match = CSRF_RE.search(session.get(url, timeout=10).text)
    assert match, f"no csrf_token on {url}"
    return session.post(
        url, data={"csrf_token": match.group(1), **data}, allow_redirects=False
    ).status_code


@pytest.fixture
def site() -> Iterator[tuple[PostgresCluster, LiveServer]]:
    with PostgresCluster() as pg:
        env = {"DATABASE_URL": pg.url, "DATABASE_CONNECT_TIMEOUT": "3"}
        flask_cli(env, "db", "upgrade")
        with LiveServer(env, workers=2) as server:
            yield pg, server


def test_database_outage_answers_503_and_recovers_without_restart(site: Any) -> None:
    pg, server = site
    url = server.url
    person = requests.Session()
    user = {"username": "ada", "email": "ada@example.com"}
    assert (
        submit(
            person,
            url + "/auth/register",
            {**user, "password": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD},
        )
        == 302
    )
    assert (
        submit(
            person,
            url + "/auth/login",
            {"username": "ada", "password": DEFAULT_PASSWORD},
        )
        == 302
    )
    before = f"written before the outage {secrets.token_hex(4)}"
    assert submit(person, url + "/", {"body": before}) == 302
    token_response = requests.post(
        url + "/api/tokens", auth=("ada", DEFAULT_PASSWORD), timeout=10
    )
    assert token_response.status_code == 201, token_response.text
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token_response.json()['token']}"
    # Warm every worker's pool so the outage breaks live connections.
    for _ in range(ROUNDS):
        assert timed(person, "GET", url + "/").status_code == 200
        assert timed(api, "GET", url + "/api/feed").status_code == 200
    booted = server.log_text().count("Booting worker")

    pg.stop()

    anonymous = requests.Session()
    for _ in range(ROUNDS):
        health = timed(anonymous, "GET", url + "/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}

        ready = timed(anonymous, "GET", url + "/readyz")
        assert ready.status_code == 503

        for session, path in [(anonymous, "/explore"), (person, "/")]:
            page = timed(session, "GET", url + path)
            assert page.status_code == 503, (path, page.status_code)
            assert "text/html" in page.headers["Content-Type"]
            assert "Temporarily unavailable" in page.text
            assert "Traceback" not in page.text

        feed = timed(api, "GET", url + "/api/feed")
        assert feed.status_code == 503
        assert feed.headers["Content-Type"].startswith("application/json")
        assert feed.json()["message"]

        login = timed(
            anonymous,
            "POST",
            url + "/auth/login",
            data={"username": "ada", "password": DEFAULT_PASSWORD},
        )
        assert login.status_code in {400, 503}  # no CSRF token: 400 is fine too

    pg.start()

    deadline = time.monotonic() + 15
    while timed(anonymous, "GET", url + "/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the app did not see the database return"
        time.sleep(0.2)
    for _ in range(ROUNDS):
        assert before in timed(anonymous, "GET", url + "/explore").text
        home = timed(person, "GET", url + "/")
        assert home.status_code == 200
        assert before in home.text
        assert timed(api, "GET", url + "/api/feed").status_code == 200
    after = f"written after the outage {secrets.token_hex(4)}"
    assert submit(person, url + "/", {"body": after}) == 302
    assert after in timed(anonymous, "GET", url + "/explore").text

    log = server.log_text()
    # Same processes: no worker was killed for hanging and none was replaced.
    assert log.count("Booting worker") == booted
    assert "WORKER TIMEOUT" not in log
    assert not re.search(r'" 500 ', log), "a request answered 500"
