"""Rate limits: 429 with Retry-After, per client and per account/address."""

from __future__ import annotations

import shutil

import pytest
import redis

from app import create_app
from app.extensions import db
from config import load_config
from tests.api_helpers import basic
from tests.conftest import AuthActions, csrf_from
from tests.servers import LiveServer, RedisServer


def browser(app, address: str) -> AuthActions:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return AuthActions(client)


def assert_too_many(response) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


@pytest.fixture
def limited_app(make_app):
    application = make_app(RATELIMIT_ENABLED="true")
    yield application
    with application.app_context():
        db.engine.dispose()


def test_limits_are_off_in_tests_unless_enabled(app, auth):
    for _ in range(15):
        assert auth.login("nobody", "wrong password").status_code == 200


def test_default_limits_match_the_design(app):
    config = app.config
    assert config["RATELIMIT_LOGIN"] == "10/minute"
    assert config["RATELIMIT_LOGIN_HOURLY"] == "100/hour"
    assert config["RATELIMIT_REGISTER"] == "10/hour"
    assert config["RATELIMIT_EMAIL"] == "5/hour"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_login_is_limited_per_client(limited_app):
    auth = browser(limited_app, "10.0.0.1")
    for i in range(10):
        assert auth.login(f"nobody{i}", "wrong password").status_code == 200
    response = auth.login("someone-else", "wrong password")
    assert_too_many(response)
    page = response.get_data(as_text=True)
    assert "Slow down" in page
    assert "<nav" in page  # the site layout, not a bare error
    # Another client is not affected.
    assert browser(limited_app, "10.0.0.2").login("x", "y" * 8).status_code == 200


def test_login_is_limited_per_account_across_clients(limited_app, make_user):
    make_user("john")
    for i in range(10):
        auth = browser(limited_app, f"10.0.1.{i}")
        assert auth.login("john", "wrong password").status_code == 200
    # The account key ignores case, and the right password does not help.
    auth = browser(limited_app, "10.0.1.99")
    assert_too_many(auth.login("JOHN", "correct horse battery staple"))
    # Other accounts from that client still work.
    assert auth.login("susan", "wrong password").status_code == 200


def test_login_hourly_limit_per_client(make_app):
    app = make_app(
        RATELIMIT_ENABLED="true",
        RATELIMIT_LOGIN="1000/minute",
        RATELIMIT_LOGIN_HOURLY="3/hour",
    )
    auth = browser(app, "10.0.2.1")
    for i in range(3):
        assert auth.login(f"user{i}", "wrong password").status_code == 200
    assert_too_many(auth.login("user9", "wrong password"))


def test_login_page_itself_is_not_limited(limited_app):
    auth = browser(limited_app, "10.0.3.1")
    for _ in range(10):
        auth.login("nobody", "wrong password")
    assert auth.client.get("/auth/login").status_code == 200


def test_register_is_limited_per_client(limited_app):
    auth = browser(limited_app, "10.0.4.1")
    for i in range(10):
        response = auth.register(f"user{i}", f"user{i}@example.com")
        assert response.status_code == 302
    assert_too_many(auth.register("user10", "user10@example.com"))


def request_reset(auth: AuthActions, email: str):
    return auth.post_form("/auth/reset_password_request", {"email": email})


def test_reset_request_is_limited_per_client(limited_app):
    auth = browser(limited_app, "10.0.5.1")
    for i in range(5):
        assert request_reset(auth, f"a{i}@example.com").status_code == 302
    assert_too_many(request_reset(auth, "other@example.com"))


def test_reset_request_is_limited_per_address(limited_app, make_user):
    make_user("john", email="john@example.com")
    for i in range(5):
        auth = browser(limited_app, f"10.0.6.{i}")
        assert request_reset(auth, "john@example.com").status_code == 302
    auth = browser(limited_app, "10.0.6.99")
    assert_too_many(request_reset(auth, " John@Example.com "))
    assert len(limited_app.extensions["mailman"].outbox) == 5
    assert request_reset(auth, "susan@example.com").status_code == 302


def test_resend_confirmation_is_limited(limited_app, make_user):
    make_user("john", email_confirmed_at=None)
    auth = browser(limited_app, "10.0.7.1")
    auth.login("john")
    for _ in range(5):
        response = auth.post_form("/auth/resend_confirmation", {}, page="/")
        assert response.status_code == 302
    assert_too_many(auth.post_form("/auth/resend_confirmation", {}, page="/"))
    # From another client the same address is still limited.
    other = browser(limited_app, "10.0.7.2")
    other.login("john")
    assert_too_many(other.post_form("/auth/resend_confirmation", {}, page="/"))
    assert len(limited_app.extensions["mailman"].outbox) == 5


def test_json_clients_get_json_429(limited_app):
    client = limited_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.8.1"
    token = csrf_from(client.get("/auth/login"))
    data = {"csrf_token": token, "username": "nobody", "password": "wrong pass"}
    for _ in range(10):
        client.post("/auth/login", data=data)
    response = client.post(
        "/auth/login", data=data, headers={"Accept": "application/json"}
    )
    assert_too_many(response)
    assert response.is_json
    assert "message" in response.get_json()


@pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)
def test_limits_are_kept_in_redis(app_env, monkeypatch):
    with RedisServer() as redis_server:
        monkeypatch.setenv("RATELIMIT_ENABLED", "true")
        monkeypatch.setenv("RATELIMIT_STORAGE_URI", redis_server.url)
        app = create_app("testing")
        with app.app_context():
            db.create_all()
        auth = browser(app, "10.0.9.1")
        for i in range(10):
            assert auth.login(f"nobody{i}", "wrong password").status_code == 200

        # A second app (another worker) sees the same counters in Redis.
        second = create_app("testing")
        other_worker = browser(second, "10.0.9.1")
        assert_too_many(other_worker.login("nobody", "wrong password"))

        keys = redis.Redis.from_url(redis_server.url).keys("*")
        assert any(b"10.0.9.1" in key for key in keys)
        for application in (app, second):
            with application.app_context():
                db.engine.dispose()


def test_memory_storage_does_not_outlive_the_app(make_app):
    first = make_app(RATELIMIT_ENABLED="true")
    auth = browser(first, "10.0.10.1")
    for i in range(10):
        auth.login(f"nobody{i}", "wrong password")
    assert_too_many(auth.login("x", "wrong password"))
    second = create_app("testing")
    # Proves the Redis test above is not passing by accident of shared memory.
    assert browser(second, "10.0.10.1").login("x", "y" * 8).status_code == 200
    with second.app_context():
        db.engine.dispose()


def test_password_checks_in_settings_share_one_budget(limited_app, user, make_user):
    auth = browser(limited_app, "10.0.11.1")
    auth.login(user)
    for i in range(10):
        path = ["/settings/password", "/settings/email", "/settings/delete"][i % 3]
        data = {
            "current_password": "wrong password!",
            "password": "wrong password!",
            "email": "new@example.com",
        }
        assert auth.post_form(path, data).status_code == 200
    assert_too_many(auth.post_form("/settings/delete", {"password": "guess"}))
    # Another account is not slowed down by this one.
    make_user("susan")
    other = browser(limited_app, "10.0.11.2")
    other.login("susan")
    response = other.post_form("/settings/delete", {"password": "wrong password!"})
    assert response.status_code == 200


WRONG = "wrong password"


def test_api_tokens_are_limited_per_account_across_clients(limited_app, make_user):
    make_user("john")
    client = limited_app.test_client()  # from 127.0.0.1: the trusted proxy
    responses = [
        client.post(
            "/api/tokens",
            headers={
                **basic("JOHN" if i % 2 else "john", WRONG),
                "X-Forwarded-For": f"198.51.100.{i}",
            },
        )
        for i in range(60)
    ]
    assert [r.status_code for r in responses] == [401] * 10 + [429] * 50
    for response in responses[10:]:
        assert_too_many(response)
        assert response.is_json
        assert response.get_json()["message"]
    # The right password does not help, from a new address either.
    response = client.post(
        "/api/tokens",
        headers={**basic("john"), "X-Forwarded-For": "198.51.100.200"},
    )
    assert_too_many(response)
    # Other accounts are not slowed down by this one.
    make_user("susan")
    response = client.post(
        "/api/tokens",
        headers={**basic("susan"), "X-Forwarded-For": "198.51.100.201"},
    )
    assert response.status_code == 201


def test_api_tokens_per_client_limit_still_holds(limited_app):
    client = limited_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.12.1"
    statuses = [
        client.post("/api/tokens", headers=basic(f"nobody{i}", WRONG)).status_code
        for i in range(12)
    ]
    assert statuses == [401] * 10 + [429] * 2


@pytest.mark.parametrize(
    ("changes", "warns"),
    [
        ({}, True),
        ({"workers": 1}, False),
        ({"RATELIMIT_STORAGE_URI": "redis://localhost:6379/0"}, False),
        ({"REDIS_URL": "redis://localhost:6379/0"}, False),
        ({"RATELIMIT_ENABLED": "false"}, False),
        ({"WREN_CONFIG": "development"}, False),
    ],
)
def test_per_worker_limits_warning(app_env, monkeypatch, changes, warns):
    changes = dict(changes)
    workers = changes.pop("workers", 3)
    env = {"WREN_CONFIG": "production", "PUBLIC_URL": "https://wren.example.org"}
    monkeypatch.delenv("REDIS_URL", raising=False)
    for key, value in {**env, **changes}.items():
        monkeypatch.setenv(key, value)
    warning = load_config().limits_per_worker_warning(workers)
    if warns:
        assert warning is not None
        assert f"each of the {workers} workers" in warning
        assert "REDIS_URL" in warning
    else:
        assert warning is None


PER_WORKER = "Rate limits are counted by each of the 3 workers alone"


def _production_server_log(env: dict[str, str]) -> str:
    env = {
        "WREN_CONFIG": "production",
        "PUBLIC_URL": "https://wren.example.org",
        "RATELIMIT_ENABLED": "true",
        **env,
    }
    with LiveServer(env, workers=3) as server:
        pass
    return server.log_text()


@pytest.mark.slow
def test_gunicorn_warns_when_workers_count_limits_alone():
    log = _production_server_log({"RATELIMIT_STORAGE_URI": "memory://"})
    assert PER_WORKER in log
    assert "Set REDIS_URL" in log
    # Said once, by the master, not once per worker.
    assert log.count(PER_WORKER) == 1


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)
def test_gunicorn_does_not_warn_with_redis_storage():
    with RedisServer() as redis_server:
        log = _production_server_log({"RATELIMIT_STORAGE_URI": redis_server.url})
    assert "Booting worker" in log
    assert "Rate limits are counted by each" not in log
