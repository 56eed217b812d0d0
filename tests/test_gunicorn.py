"""SQLite as an embedded production database: concurrent writers under gunicorn."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import Post
from tests.conftest import CSRF_RE, SHARED_DB
from tests.factories import DEFAULT_PASSWORD
from tests.servers import LiveServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(SHARED_DB), reason="exercises SQLite; runs in the SQLite pass"
    ),
]

CLIENTS = 8
POSTS_EACH = 50


def csrf_token(session: requests.Session, url: str) -> str:
    response = session.get(url, timeout=10)
    response.raise_for_status()
    match = CSRF_RE.search(response.text)
    assert match, f"no csrf_token on {url}"
    return match.group(1)


def write_posts(base: str, username: str) -> list[int]:
    """Log in through the form, then publish POSTS_EACH posts as a browser would."""
    statuses: list[int] = []
    with requests.Session() as session:
        token = csrf_token(session, base + "/auth/login")
        login = session.post(
            base + "/auth/login",
            data={
                "csrf_token": token,
                "username": username,
                "password": DEFAULT_PASSWORD,
            },
            timeout=10,
        )
        statuses.append(login.status_code)
        assert login.history, f"{username} was not logged in: {login.status_code}"
        token = csrf_token(session, base + "/")
        for n in range(POSTS_EACH):
            response = session.post(
                base + "/",
                data={"csrf_token": token, "body": f"{username} says {n}"},
                timeout=30,
            )
            # The redirect after posting (PRG), then the feed page, whose
            # form carries the token for the next post, as in a browser.
            statuses.extend(r.status_code for r in [*response.history, response])
            match = CSRF_RE.search(response.text)
            assert match, f"no post form after posting: {response.status_code}"
            token = match.group(1)
    return statuses


def test_concurrent_writers_lose_nothing_on_sqlite(app, make_user) -> None:
    names = [f"writer{i}" for i in range(CLIENTS)]
    for name in names:
        make_user(name)
    with app.app_context():
        db.engine.dispose()  # the servers own the file from here on

    env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    with (
        LiveServer(env, workers=2) as server,
        ThreadPoolExecutor(max_workers=CLIENTS) as pool,
    ):
        results = list(pool.map(lambda n: write_posts(server.url, n), names))
    log = server.log_text()

    statuses = [status for result in results for status in result]
    assert [s for s in statuses if s >= 500] == []
    assert statuses.count(302) == CLIENTS * POSTS_EACH
    assert "database is locked" not in log
    assert not re.search(r'" 5\d\d ', log), "the access log shows a 5xx"
    with app.app_context():
        bodies = db.session.scalars(sa.select(Post.body)).all()
    expected = {f"{name} says {n}" for name in names for n in range(POSTS_EACH)}
    assert len(bodies) == CLIENTS * POSTS_EACH
    assert set(bodies) == expected
