"""Production configuration: secret key, HTTPS behind a proxy, gunicorn settings."""

from __future__ import annotations

import multiprocessing
import re
import runpy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from apiflask import APIFlask

from tests.conftest import AuthActions
from tests.servers import ROOT, LiveServer, flask_cli

ProductionApp = Callable[..., APIFlask]


@pytest.mark.parametrize("path", ["/", "/explore", "/auth/login"])
def test_plain_http_pages_redirect_to_https(
    make_production_app: ProductionApp, path: str
) -> None:
    client = make_production_app().test_client()
    response = client.get(path)
    assert response.status_code in {301, 302, 308}
    assert response.headers["Location"] == f"https://localhost{path}"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_probes_are_never_redirected(
    make_production_app: ProductionApp, path: str
) -> None:
    client = make_production_app().test_client()
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_forwarded_proto_from_an_untrusted_client_is_ignored(
    make_production_app: ProductionApp,
) -> None:
    # No proxy in front: the client's own X-Forwarded-Proto must not count.
    client = make_production_app(PROXY_FIX_COUNT="0").test_client()
    response = client.get("/explore", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 301
    assert response.headers["Location"] == "https://localhost/explore"


def test_plain_http_post_is_redirected_keeping_its_method(
    make_production_app: ProductionApp,
) -> None:
    response = make_production_app().test_client().post("/auth/login")
    assert response.status_code == 308
    assert response.headers["Location"] == "https://localhost/auth/login"


def test_https_from_trusted_proxy_is_served_with_hsts(
    make_production_app: ProductionApp,
) -> None:
    client = make_production_app().test_client()
    response = client.get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert b'name="password"' in response.data
    assert "max-age=" in response.headers["Strict-Transport-Security"]


@pytest.mark.parametrize(
    ("count", "forwarded_for", "counted_apart"),
    [
        # One proxy: its X-Forwarded-For names the real client.
        (1, ["203.0.113.1", "203.0.113.2"], True),
        # Two proxies: the client is the second address from the right.
        (2, ["203.0.113.1, 10.0.0.9", "203.0.113.2, 10.0.0.9"], True),
        # Two proxies, and the client wrote an address of its own in front:
        # only the two rightmost entries are trusted, so it is one client.
        (
            2,
            [
                "198.51.100.7, 203.0.113.1, 10.0.0.9",
                "198.51.100.8, 203.0.113.1, 10.0.0.9",
            ],
            False,
        ),
        # No trusted proxy: the header is the client's word and is ignored.
        (0, ["203.0.113.1", "203.0.113.2"], False),
    ],
)
def test_proxy_fix_count_decides_who_the_client_is(
    make_production_app: ProductionApp,
    count: int,
    forwarded_for: list[str],
    counted_apart: bool,
) -> None:
    app = make_production_app(
        PROXY_FIX_COUNT=str(count),
        RATELIMIT_ENABLED="true",
        RATELIMIT_LOGIN="2/minute",
        FORCE_HTTPS="false",
        SESSION_COOKIE_SECURE="false",
    )
    auth = AuthActions(app.test_client())

    def login(n: int, address: str) -> int:
        return auth.login(
            f"nobody{n}", "wrong password", headers={"X-Forwarded-For": address}
        ).status_code

    assert [login(1, forwarded_for[0]), login(2, forwarded_for[0])] == [200, 200]
    assert login(3, forwarded_for[0]) == 429
    assert login(4, forwarded_for[1]) == (200 if counted_apart else 429)


def _gunicorn_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for key in (
        "WEB_CONCURRENCY",
        "GUNICORN_BIND",
        "GUNICORN_CONTROL_SOCKET",
        "FORWARDED_ALLOW_IPS",
        "TRUSTED_PROXIES",
    ):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _gunicorn_settings(monkeypatch)
    assert settings["workers"] == 2 * multiprocessing.cpu_count() + 1
    assert settings["bind"] == "127.0.0.1:8000"
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert settings["control_socket_disable"] is True
    assert settings["graceful_timeout"] < settings["timeout"]
    assert "%({x-request-id}o)s" in settings["access_log_format"]


def test_gunicorn_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _gunicorn_settings(
        monkeypatch,
        WEB_CONCURRENCY="3",
        GUNICORN_BIND="0.0.0.0:9000",
        GUNICORN_CONTROL_SOCKET="/run/wren/gunicorn.ctl",
        FORWARDED_ALLOW_IPS="10.0.0.2",
    )
    assert settings["workers"] == 3
    assert settings["bind"] == "0.0.0.0:9000"
    assert settings["control_socket"] == "/run/wren/gunicorn.ctl"
    assert "control_socket_disable" not in settings
    assert settings["forwarded_allow_ips"] == "10.0.0.2"


def test_gunicorn_believes_the_same_proxies_as_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _gunicorn_settings(monkeypatch, TRUSTED_PROXIES="10.0.0.0/8")
    assert settings["forwarded_allow_ips"] == "10.0.0.0/8"
    settings = _gunicorn_settings(
        monkeypatch, TRUSTED_PROXIES="10.0.0.0/8", FORWARDED_ALLOW_IPS="10.0.0.2"
    )
    assert settings["forwarded_allow_ips"] == "10.0.0.2"


@pytest.mark.slow
def test_production_under_gunicorn_behind_a_proxy() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "WREN_CONFIG": "production",
            "PUBLIC_URL": "https://wren.example.org",
            # The proxy talks to gunicorn by address.
            "TRUSTED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'wren.sqlite'}",
            "MAIL_BACKEND": "locmem",
        }
        flask_cli({**env, "SECRET_KEY": "migrate"}, "db", "upgrade")
        with LiveServer(env, workers=1) as server:
            assert requests.get(server.url + "/readyz", timeout=5).status_code == 200

            redirect = requests.get(
                server.url + "/explore", allow_redirects=False, timeout=5
            )
            assert redirect.status_code in {301, 302, 308}
            assert redirect.headers["Location"] == "https://wren.example.org/explore"

            response = requests.get(
                server.url + "/explore",
                headers={"X-Forwarded-Proto": "https", "X-Request-ID": "probe-123"},
                allow_redirects=False,
                timeout=5,
            )
            assert response.status_code == 200
            assert response.headers["X-Request-ID"] == "probe-123"
            assert "max-age=" in response.headers["Strict-Transport-Security"]
        # Read after stopping: gunicorn writes an access line after the reply.
        log = server.log_text()
    assert '"GET /explore HTTP/1.1" 200' in log
    assert "rid=probe-123 ms=" in log
    # The HTTPS redirect is answered by a hook, and still carries an id.
    assert re.search(r'"GET /explore HTTP/1.1" 301 .* rid=[0-9a-f]{32} ms=', log)
