"""The site's own address comes from PUBLIC_URL, never from the request.

Host, X-Forwarded-Host and X-Forwarded-Prefix are the client's word: a reset
link built on them would mail https://evil.example/auth/reset_password/<token>
to the victim, and the attacker would collect the token.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from apiflask import APIFlask
from werkzeug.test import TestResponse

from app import create_app
from app.extensions import db
from config import ConfigError
from tests.conftest import CSRF_RE, SHARED_DB, AuthActions, csrf_from
from tests.mailbox import link_in, mail_to, outbox
from tests.servers import JobWorker, LiveServer, wait_until

ProductionApp = Callable[..., APIFlask]

PUBLIC = "https://wren.example.org"
EVIL = "evil.example"
RESET_REQUEST = "/auth/reset_password_request"


@pytest.fixture
def site(make_production_app: ProductionApp) -> APIFlask:
    """Production, reached over plain http so no Referer dance is needed.

    The test client talks to the app as "localhost", as a proxy on the same
    machine may, so that name is in TRUSTED_HOSTS.
    """
    return make_production_app(
        PUBLIC_URL=PUBLIC,
        TRUSTED_HOSTS="localhost, alias.example.net",
        FORCE_HTTPS="false",
        SESSION_COOKIE_SECURE="false",
        MAIL_BACKEND="locmem",
    )


def ask_for_reset(
    app: APIFlask, headers: dict[str, str], email: str = "john@example.com"
) -> TestResponse:
    """The reset form, fetched and posted with the same ``headers``."""
    client = app.test_client()
    page = client.get(RESET_REQUEST, headers=headers)
    token = csrf_from(page) or ""
    return client.post(
        RESET_REQUEST, data={"csrf_token": token, "email": email}, headers=headers
    )


def reset_links(app: APIFlask, address: str = "john@example.com") -> list[str]:
    """Every absolute link in the reset mails sent to ``address``."""
    found = []
    for message in mail_to(app, address):
        link_in(message)  # there is one
        found += re.findall(r"https?://[^\s\"<]+", message.body)
    return found


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-Host": EVIL},
        {
            "X-Forwarded-Host": EVIL,
            "X-Forwarded-Port": "8443",
            "X-Forwarded-Prefix": "/evil",
            "X-Forwarded-Proto": "https",
            # Flask-WTF checks the Referer of https requests.
            "Referer": f"https://localhost{RESET_REQUEST}",
        },
        {"Host": "alias.example.net"},
        {"Host": "alias.example.net", "X-Forwarded-Host": EVIL},
    ],
    ids=["forwarded-host", "all-forwarded", "trusted-alias", "alias-and-forwarded"],
)
def test_reset_link_is_built_on_public_url(
    site: APIFlask, make_user, headers: dict[str, str]
) -> None:
    make_user("john", email="john@example.com")
    response = ask_for_reset(site, headers)
    assert response.status_code == 302
    (message,) = mail_to(site, "john@example.com")
    assert link_in(message).startswith("/auth/reset_password/")
    links = reset_links(site)
    assert links
    assert all(link.startswith(PUBLIC + "/auth/") for link in links), links
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    assert EVIL not in message.body + html
    assert "/evil" not in message.body + html


@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:443", "wren.example.org.evil.example"])
def test_reset_request_for_an_unknown_host_is_refused(
    site: APIFlask, make_user, host: str
) -> None:
    make_user("john", email="john@example.com")
    auth = AuthActions(site.test_client())
    response = auth.post_form(
        RESET_REQUEST,
        {"email": "john@example.com"},
        headers={"Host": host, "X-Forwarded-Host": EVIL},
    )
    assert response.status_code == 400
    assert outbox(site) == []


@pytest.mark.parametrize(
    ("path", "json"), [("/", False), ("/explore", False), ("/api/posts", True)]
)
def test_unknown_host_answers_400(site: APIFlask, path: str, json: bool) -> None:
    response = site.test_client().get(path, headers={"Host": EVIL})
    assert response.status_code == 400
    assert "Location" not in response.headers
    if json:
        assert response.get_json()["message"]
    else:
        assert b"host" in response.data


def test_public_and_trusted_hosts_are_served(site: APIFlask) -> None:
    client = site.test_client()
    for host in ("wren.example.org", "localhost", "alias.example.net"):
        assert client.get("/explore", headers={"Host": host}).status_code == 200
    assert site.config["TRUSTED_HOSTS"] == [
        "wren.example.org",
        "localhost",
        "alias.example.net",
    ]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
@pytest.mark.parametrize("host", ["10.0.0.5:8000", EVIL, "localhost"])
def test_health_probes_answer_for_any_host_without_redirect(
    make_production_app: ProductionApp, path: str, host: str
) -> None:
    # A load balancer probes over plain http, by the server's address.
    app = make_production_app(PUBLIC_URL=PUBLIC)
    for method in ("GET", "HEAD"):
        response = app.test_client().open(path, method=method, headers={"Host": host})
        assert response.status_code == 200
        if method == "GET":
            assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-Host": EVIL},
        {"X-Forwarded-Host": EVIL, "X-Forwarded-Prefix": "/evil"},
        {"Host": "alias.example.net"},
        {"Host": "localhost:8000", "X-Forwarded-Port": "8443"},
    ],
)
def test_https_redirect_goes_to_the_public_host(
    make_production_app: ProductionApp, headers: dict[str, str]
) -> None:
    app = make_production_app(
        PUBLIC_URL=PUBLIC, TRUSTED_HOSTS="localhost,alias.example.net"
    )
    client = app.test_client()
    response = client.get("/explore?before=5&q=a%20b", headers=headers)
    assert response.status_code == 301
    assert response.headers["Location"] == f"{PUBLIC}/explore?before=5&q=a%20b"
    post = client.post("/auth/login?next=/settings", headers=headers)
    assert post.status_code == 308
    assert post.headers["Location"] == f"{PUBLIC}/auth/login?next=/settings"


def test_https_redirect_for_an_unknown_host_is_a_400(
    make_production_app: ProductionApp,
) -> None:
    app = make_production_app(PUBLIC_URL=PUBLIC)
    response = app.test_client().get("/explore", headers={"Host": EVIL})
    assert response.status_code == 400
    assert "Location" not in response.headers


@pytest.mark.parametrize("value", [None, "", "   "])
def test_production_refuses_to_start_without_public_url(
    app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("PUBLIC_URL", raising=False)
    else:
        monkeypatch.setenv("PUBLIC_URL", value)
    with pytest.raises(ConfigError, match="PUBLIC_URL is not set"):
        create_app("production")


@pytest.mark.parametrize(
    "value",
    [
        "wren.example.org",
        "ftp://wren.example.org",
        "https://wren.example.org/blog",
        "https://wren.example.org/?x=1",
        "https://user@wren.example.org",
        "https://wren.example.org:https",
        "https://",
    ],
)
def test_public_url_must_be_an_origin(
    app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PUBLIC_URL", value)
    with pytest.raises(ConfigError, match="PUBLIC_URL must be"):
        create_app("production")


def test_public_url_keeps_its_port_and_drops_a_trailing_slash(make_production_app):
    app = make_production_app(PUBLIC_URL="https://Wren.Example.org:8443/")
    assert app.config["PUBLIC_URL"] == "https://wren.example.org:8443"
    assert app.config["TRUSTED_HOSTS"] == ["wren.example.org"]


def test_testing_links_follow_the_request_host_without_public_url(
    app: APIFlask, auth: AuthActions, user
) -> None:
    assert app.config["PUBLIC_URL"] is None
    assert app.config["TRUSTED_HOSTS"] is None
    auth.post_form(RESET_REQUEST, {"email": "john@example.com"})
    assert reset_links(app)[0].startswith("http://localhost/auth/reset_password/")


def test_public_url_is_used_in_testing_too_when_set(make_app, make_user) -> None:
    app = make_app(PUBLIC_URL="http://wren.test:5000")
    make_user("john", email="john@example.com")
    ask_for_reset(app, {"Host": EVIL})
    assert reset_links(app)[0].startswith("http://wren.test:5000/auth/reset_password/")


# --- a real gunicorn, as the review reproduced it ------------------------------


def mailed_text(folder: Path) -> str:
    """The plain-text bodies of every message the file backend wrote."""
    bodies = []
    for path in sorted(folder.glob("*")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not chunk.strip():
                continue
            message = email.message_from_bytes(chunk, policy=email.policy.default)
            for part in message.walk():
                if part.get_content_type() in {"text/plain", "text/html"}:
                    bodies.append(part.get_content())
    return "\n".join(bodies)


@pytest.mark.slow
@pytest.mark.skipif(bool(SHARED_DB), reason="serves a SQLite file; SQLite pass")
def test_reset_mail_under_gunicorn_ignores_the_request_host(
    app: APIFlask, make_user, tmp_path: Path
) -> None:
    make_user("john", email="john@example.com")
    with app.app_context():
        db.engine.dispose()  # the server owns the file from here on
    mail_dir = tmp_path / "mail"
    env = {
        "WREN_CONFIG": "production",
        "PUBLIC_URL": PUBLIC,
        "TRUSTED_HOSTS": "127.0.0.1",  # the proxy reaches gunicorn by address
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(mail_dir),
    }
    # Production queues mail for the worker, run beside gunicorn as the
    # README says; it delivers to the mail folder.
    with LiveServer(env, workers=1) as server, JobWorker(server.env):
        own_host = f"127.0.0.1:{server.port}"
        # Through the TLS proxy on 127.0.0.1, as in production.
        proxied = {"X-Forwarded-Proto": "https"}
        form = requests.get(server.url + RESET_REQUEST, headers=proxied, timeout=10)
        assert form.status_code == 200
        match = CSRF_RE.search(form.text)
        assert match
        # Secure cookies: carried by hand, as the proxy's https leg would.
        cookie = form.headers["Set-Cookie"].split(";", 1)[0]

        def ask(host: str, referer_host: str) -> requests.Response:
            return requests.post(
                server.url + RESET_REQUEST,
                data={"csrf_token": match.group(1), "email": "john@example.com"},
                headers={
                    **proxied,
                    "Host": host,
                    "X-Forwarded-Host": EVIL,
                    "Cookie": cookie,
                    "Referer": f"https://{referer_host}{RESET_REQUEST}",
                },
                allow_redirects=False,
                timeout=10,
            )

        # The attack as reported: both headers name the attacker's host.
        assert ask(EVIL, EVIL).status_code == 400
        assert mailed_text(mail_dir) == ""
        # A trusted Host with a forged X-Forwarded-Host: mailed, on PUBLIC_URL.
        assert ask(own_host, own_host).status_code == 302
        wait_until(lambda: mailed_text(mail_dir), what="the reset mail")

        redirect = requests.get(
            server.url + "/explore",
            headers={"X-Forwarded-Host": EVIL},
            allow_redirects=False,
            timeout=10,
        )
        assert redirect.status_code == 301
        assert redirect.headers["Location"] == f"{PUBLIC}/explore"
        evil = requests.get(
            server.url + "/explore",
            headers={"Host": EVIL},
            allow_redirects=False,
            timeout=10,
        )
        assert evil.status_code == 400
        probe = requests.get(
            server.url + "/healthz", headers={"Host": EVIL}, timeout=10
        )
        assert probe.status_code == 200
    text = mailed_text(mail_dir)
    links = re.findall(r"https?://[^\s\"<>]+", text)
    assert any(link.startswith(f"{PUBLIC}/auth/reset_password/") for link in links)
    assert all(link.startswith(PUBLIC + "/") for link in links), links
    assert EVIL not in text
    assert not re.search(r'" 5\d\d ', server.served_log()), "the log shows a 5xx"
