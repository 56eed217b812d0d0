"""X-Forwarded-For and -Proto count only from a peer in TRUSTED_PROXIES."""

from __future__ import annotations

import pytest
from apiflask import APIFlask
from flask import jsonify, request

from app import create_app
from config import ConfigError
from tests.api_helpers import basic

WRONG = "wrong password"

FORWARDED = {
    "X-Forwarded-For": "198.51.100.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/evil",
}


def with_peer_view(app: APIFlask) -> APIFlask:
    """Add a view that shows what the app believes about the request."""

    def peer() -> object:
        return jsonify(
            remote_addr=request.remote_addr,
            secure=request.is_secure,
            host=request.host,
            root=request.root_path,
            forwarded_for=request.headers.get("X-Forwarded-For"),
        )

    app.add_url_rule("/peer", "peer", peer)
    return app


def seen_from(app: APIFlask, peer: str) -> dict[str, object]:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = peer
    response = client.get("/peer", headers=FORWARDED)
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("peer", ["203.0.113.9", "10.0.0.1", "192.168.1.20", "::2"])
def test_forwarded_headers_from_any_other_peer_are_ignored(make_app, peer: str):
    seen = seen_from(with_peer_view(make_app()), peer)
    assert seen == {
        "remote_addr": peer,
        "secure": False,
        "host": "localhost",
        "root": "",
        # Dropped, so no code can read them by mistake.
        "forwarded_for": None,
    }


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_forwarded_for_and_proto_count_from_the_default_proxies(make_app, peer: str):
    seen = seen_from(with_peer_view(make_app()), peer)
    assert seen["remote_addr"] == "198.51.100.7"
    assert seen["secure"] is True
    # Host, port and prefix are never taken from the headers.
    assert seen["host"] == "localhost"
    assert seen["root"] == ""


@pytest.mark.parametrize(
    ("peer", "believed"),
    [
        ("10.1.2.3", True),
        ("10.255.0.1", True),
        ("192.0.2.10", True),
        ("192.0.2.11", False),
        ("127.0.0.1", False),  # no longer listed
        ("fd00::5", True),
    ],
)
def test_trusted_proxies_take_addresses_and_networks(make_app, peer, believed):
    app = with_peer_view(make_app(TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.10,fd00::/8"))
    seen = seen_from(app, peer)
    assert seen["remote_addr"] == ("198.51.100.7" if believed else peer)
    assert seen["secure"] is believed


def test_no_proxy_hops_means_nobody_is_believed(make_app):
    app = with_peer_view(make_app(PROXY_FIX_COUNT="0"))
    assert seen_from(app, "127.0.0.1")["remote_addr"] == "127.0.0.1"


@pytest.mark.parametrize("value", ["localhost", "10.0.0.1/8", "300.1.1.1", "any"])
def test_bad_trusted_proxies_stop_the_app(app_env, monkeypatch, value):
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        create_app("testing")


def test_plain_http_from_an_untrusted_peer_is_redirected(make_production_app):
    client = make_production_app().test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    response = client.get("/explore", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 301
    assert response.headers["Location"] == "https://localhost/explore"
    # From the proxy, the same header is believed.
    proxied = make_production_app().test_client()
    assert (
        proxied.get("/explore", headers={"X-Forwarded-Proto": "https"}).status_code
        == 200
    )


def wrong_passwords_from_rotating_addresses(client, tries: int = 40) -> list[int]:
    """POST /api/tokens with a wrong password, each from a new X-Forwarded-For."""
    return [
        client.post(
            "/api/tokens",
            headers={
                **basic(f"nobody{i}", WRONG),
                "X-Forwarded-For": f"198.51.100.{i}",
            },
        ).status_code
        for i in range(tries)
    ]


def test_rotating_forwarded_for_from_an_untrusted_peer_is_one_client(make_app):
    app = make_app(RATELIMIT_ENABLED="true")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert wrong_passwords_from_rotating_addresses(client) == [401] * 10 + [429] * 30


def test_rotating_forwarded_for_from_the_proxy_is_many_clients(make_app):
    app = make_app(RATELIMIT_ENABLED="true")
    client = app.test_client()  # REMOTE_ADDR 127.0.0.1: the proxy
    assert set(wrong_passwords_from_rotating_addresses(client)) == {401}
