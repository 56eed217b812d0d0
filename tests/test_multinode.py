"""Two app servers sharing one PostgreSQL and one Redis behave as one site."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import DEFAULT_PASSWORD
from tests.servers import (
    Browser,
    LiveServer,
    PostgresCluster,
    RedisServer,
    flask_cli,
    own_cluster_marks,
)

pytestmark = own_cluster_marks()


@pytest.fixture(scope="module")
def nodes() -> Iterator[tuple[LiveServer, LiveServer]]:
    with PostgresCluster() as pg, RedisServer() as redis:
        env = {
            "DATABASE_URL": pg.url,
            "SECRET_KEY": secrets.token_hex(16),
            "RATELIMIT_ENABLED": "true",
            "RATELIMIT_STORAGE_URI": redis.url,
            # Shared fragment cache: a card cached by one node is used by both.
            "CACHE_REDIS_URL": redis.url,
            "RATELIMIT_LOGIN": "10/minute",
        }
        flask_cli(env, "db", "upgrade")
        with LiveServer(env, workers=1) as a, LiveServer(env, workers=1) as b:
            yield a, b


def fresh_address() -> str:
    return f"198.51.100.{secrets.randbelow(250) + 1}"


def register_and_login(node: LiveServer, browser: Browser, username: str) -> None:
    registered = browser.submit(
        node.url + "/auth/register",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )
    assert registered.status_code == 302, registered.text
    logged_in = browser.submit(
        node.url + "/auth/login",
        {"username": username, "password": DEFAULT_PASSWORD},
    )
    assert logged_in.status_code == 302, logged_in.text


def test_login_on_one_node_is_valid_on_the_other(nodes: Any) -> None:
    a, b = nodes
    browser = Browser(fresh_address())
    register_and_login(a, browser, "alice")

    home_on_b = browser.get(b.url + "/", timeout=10)
    assert home_on_b.status_code == 200
    assert 'name="body"' in home_on_b.text  # the logged-in post form

    stranger = Browser(fresh_address())
    assert 'name="body"' not in stranger.get(b.url + "/", timeout=10).text


def test_post_made_on_one_node_shows_on_the_other(nodes: Any) -> None:
    a, b = nodes
    browser = Browser(fresh_address())
    register_and_login(a, browser, "bob")
    body = f"hello from node A {secrets.token_hex(4)}"

    posted = browser.submit(a.url + "/", {"body": body})
    assert posted.status_code == 302

    assert body in Browser(fresh_address()).get(b.url + "/explore", timeout=10).text
    assert body in browser.get(b.url + "/", timeout=10).text


def failed_login(node: LiveServer, browser: Browser, username: str) -> int:
    return browser.submit(
        node.url + "/auth/login",
        {"username": username, "password": "not the password"},
    ).status_code


def test_failed_logins_on_both_nodes_share_the_client_limit(nodes: Any) -> None:
    a, b = nodes
    browser = Browser("203.0.113.10")
    statuses = [
        failed_login(node, browser, f"someone{i}") for i, node in enumerate([a, b] * 5)
    ]
    assert statuses == [200] * 10
    for node in (a, b):
        response = browser.submit(
            node.url + "/auth/login",
            {"username": "someone-else", "password": "not the password"},
        )
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > 0


def test_failed_logins_on_both_nodes_share_the_account_limit(nodes: Any) -> None:
    a, b = nodes
    statuses = [
        failed_login(node, Browser(f"203.0.113.{20 + i}"), "victim")
        for i, node in enumerate([a, b] * 5)
    ]
    assert statuses == [200] * 10
    # A new client, a new node: the account itself is now resting.
    assert failed_login(a, Browser("203.0.113.99"), "Victim") == 429
    assert failed_login(b, Browser("203.0.113.98"), "someone-new") == 200


def test_cards_shared_in_redis_follow_a_rename_on_either_node(nodes: Any) -> None:
    a, b = nodes
    author = Browser(fresh_address())
    register_and_login(a, author, "carol")
    body = f"carol was here {secrets.token_hex(4)}"
    assert author.submit(a.url + "/", {"body": body}).status_code == 302
    reader = Browser(fresh_address())
    for node in (a, b):  # each node renders or reuses the shared card
        assert ">carol</a>" in reader.get(node.url + "/explore", timeout=10).text
    renamed = author.submit(
        b.url + "/settings/profile", {"username": "caroline", "about_me": ""}
    )
    assert renamed.status_code == 302
    for node in (a, b):
        page = reader.get(node.url + "/explore", timeout=10).text
        assert body in page
        assert ">caroline</a>" in page
        assert ">carol</a>" not in page


def test_an_edit_on_one_node_never_leaves_the_old_card_on_the_other(
    nodes: Any,
) -> None:
    a, b = nodes
    author = Browser(fresh_address())
    register_and_login(a, author, "editor")
    old = f"first words {secrets.token_hex(4)}"
    new = f"second words {secrets.token_hex(4)}"
    assert author.submit(a.url + "/", {"body": old}).status_code == 302
    reader = Browser(fresh_address())
    page = reader.get(a.url + "/explore", timeout=10).text
    post_id = int(page.split('id="post-', 1)[1].split('"', 1)[0])
    thread = f"/post/{post_id}"
    tags = {}
    for node in (a, b):  # both nodes now hold or share the cached card
        response = reader.get(node.url + thread, timeout=10)
        assert old in response.text
        tags[node.url] = response.headers["ETag"]
    edited = author.submit(b.url + f"{thread}/edit", {"body": new})
    assert edited.status_code == 302, edited.text
    for node in (a, b):
        for path in ("/explore", thread):
            shown = reader.get(node.url + path, timeout=10)
            assert new in shown.text, (node.url, path)
            assert old not in shown.text, (node.url, path)
        again = reader.get(
            node.url + thread, headers={"If-None-Match": tags[node.url]}, timeout=10
        )
        assert again.status_code == 200
    history = reader.get(a.url + f"{thread}/history", timeout=10).text
    assert old in history


def test_logout_on_one_node_ends_the_session_on_the_other(nodes: Any) -> None:
    a, b = nodes
    browser = Browser(fresh_address())
    register_and_login(a, browser, "dora")
    copied = Browser(fresh_address())
    copied.cookies.update(browser.cookies)
    assert 'name="body"' in copied.get(b.url + "/", timeout=10).text
    assert (
        browser.submit(a.url + "/auth/logout", {}, page=a.url + "/").status_code == 302
    )
    assert 'name="body"' not in copied.get(b.url + "/", timeout=10).text
