"""Shared fixtures: app, client, runner, auth helper and user factory.

The database is a fresh SQLite file per test, or, when WREN_TEST_DATABASE_URL
names a PostgreSQL database, that database with every table emptied before
each test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from app.extensions import db
from app.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _per_worker(url: str | None) -> str | None:
    """Under pytest-xdist each worker empties tables before every test, so
    each gets a database of its own on the cluster: <name>_<worker>."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base, _, name = url.rpartition("/")
    return f"{base}/{name}_{worker}"


SHARED_DB = _per_worker(os.environ.get("WREN_TEST_DATABASE_URL"))


@pytest.fixture(scope="session")
def _shared_schema() -> Iterator[None]:
    """Create the schema once per run on a shared (PostgreSQL) database."""
    if not SHARED_DB:
        yield
        return
    _create_database(SHARED_DB)
    engine = sa.create_engine(
        SHARED_DB.replace("postgresql://", "postgresql+psycopg://", 1)
    )
    db.metadata.drop_all(engine)
    db.metadata.create_all(engine)
    engine.dispose()
    yield


def _create_database(url: str) -> None:
    """Create the worker's database (see _per_worker) when it is missing,
    through the database named in WREN_TEST_DATABASE_URL."""
    if url == os.environ.get("WREN_TEST_DATABASE_URL"):
        return
    given = os.environ["WREN_TEST_DATABASE_URL"]
    name = url.rpartition("/")[2]
    engine = sa.create_engine(
        given.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with engine.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
            {"name": name},
        )
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


@pytest.fixture
def app_env(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, _shared_schema: None
) -> dict[str, str]:
    """Environment for create_app; tests may add to it before using ``app``."""
    env = {
        "WREN_CONFIG": "testing",
        "WREN_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": SHARED_DB or f"sqlite:///{tmp_path / 'wren.sqlite'}",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "AVATAR_PROVIDER": "gravatar",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    }
    for key in (
        "RATELIMIT_ENABLED",
        "RATELIMIT_STORAGE_URI",
        "MAIL_BACKEND",
        "POSTS_PER_PAGE",
        "PUBLIC_URL",
        "TRUSTED_HOSTS",
        "TRUSTED_PROXIES",
        "PROXY_FIX_COUNT",
        "JOBS_IMMEDIATE",
        "JOBS_REDIS_URL",
    ):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def make_app(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    """Build an app with extra environment variables, schema ready."""
    built = []

    def build(config_name: str = "testing", **overrides: str):
        for key, value in overrides.items():
            monkeypatch.setenv(key, value)
        application = create_app(config_name)
        with application.app_context():
            if SHARED_DB:
                _truncate_all()
            else:
                db.create_all()
        built.append(application)
        return application

    yield build
    # Close every pool: a PostgreSQL connection left to the garbage collector
    # raises ResourceWarning, an error under filterwarnings=error.
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def make_production_app(make_app):
    """Build the production config, reached the way a TLS proxy reaches it."""

    def build(**overrides: str):
        # The test client's host; PUBLIC_URL="" leaves it unset.
        overrides.setdefault("PUBLIC_URL", "https://localhost")
        # Jobs (mail) run at once, as in the testing config: these tests read
        # what a page did; the queue and the worker have tests of their own
        # (tests/test_mail_jobs.py, tests/test_jobs_worker.py).
        overrides.setdefault("JOBS_IMMEDIATE", "true")
        application = make_app("production", **overrides)
        # The test client takes its URL scheme from this setting; a proxy
        # talks plain http to the app, so requests must arrive as http.
        application.config["PREFERRED_URL_SCHEME"] = "http"
        return application

    return build


@pytest.fixture
def production_app(make_production_app):
    return make_production_app()


def _truncate_all() -> None:
    tables = ", ".join(t.name for t in db.metadata.sorted_tables)
    db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_from(response: TestResponse) -> str | None:
    match = CSRF_RE.search(response.get_data(as_text=True))
    return match.group(1) if match else None


class AuthActions:
    """Drive the real forms, reading CSRF tokens from pages as a browser does."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf_token(self, page: str = "/") -> str:
        for path in (page, "/auth/login", "/settings/profile"):
            token = csrf_from(self.client.get(path))
            if token:
                return token
        raise AssertionError("no page offered a CSRF token")

    def post_form(
        self, url: str, data: dict[str, Any], page: str | None = None, **kwargs: Any
    ) -> TestResponse:
        data = {"csrf_token": self.csrf_token(page or url), **data}
        return self.client.post(url, data=data, **kwargs)

    def register(
        self,
        username: str = "john",
        email: str = "john@example.com",
        password: str = DEFAULT_PASSWORD,
        password2: str | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        return self.post_form(
            "/auth/register",
            {
                "username": username,
                "email": email,
                "password": password,
                "password2": password if password2 is None else password2,
            },
            **kwargs,
        )

    def login(
        self,
        user: User | str = "john",
        password: str = DEFAULT_PASSWORD,
        remember: bool = False,
        next: str | None = None,  # noqa: A002
        **kwargs: Any,
    ) -> TestResponse:
        username = user.username if isinstance(user, User) else user
        data: dict[str, Any] = {"username": username, "password": password}
        if remember:
            data["remember_me"] = "y"
        url = "/auth/login" + (f"?next={next}" if next else "")
        return self.post_form(url, data, page="/auth/login", **kwargs)

    def logout(self) -> TestResponse:
        return self.post_form("/auth/logout", {}, page="/")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make_user(app):
    """Create a user (confirmed unless told otherwise) and return a detached copy."""

    def create(username: str = "john", **kwargs: Any) -> User:
        with app.app_context():
            user = UserFactory.create(username=username, **kwargs)
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return create


@pytest.fixture
def user(make_user) -> User:
    return make_user("john")
