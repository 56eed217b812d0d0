"""Mail backends: a real SMTP server, one file per message, the console."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app import create_app
from app.extensions import db
from app.models import User
from tests.conftest import AuthActions
from tests.servers import free_port


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_registration_mail_goes_through_a_real_smtp_server(make_app, smtp_server):
    controller, inbox = smtp_server
    app = make_app(
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(controller.port),
        MAIL_DEFAULT_SENDER="Wren <noreply@wren.test>",
    )
    client = app.test_client()
    response = AuthActions(client).register("john", "john@example.com")
    assert response.status_code == 302

    ((sender, recipients, message),) = inbox.messages
    assert sender == "noreply@wren.test"
    assert recipients == ["john@example.com"]
    assert message["Subject"] == "[Wren] Confirm your email address"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = re.search(r"http://localhost(/auth/confirm/\S+)", text).group(1)
    assert f'href="http://localhost{link}"' in html

    assert client.get(link).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(User.email_confirmed_at)) is not None


def test_file_backend_writes_one_file_per_message(make_app, tmp_path):
    folder = tmp_path / "mail"
    app = make_app(MAIL_BACKEND="file", MAIL_FILE_PATH=str(folder))
    auth = AuthActions(app.test_client())
    auth.register("john", "john@example.com")
    auth.register("susan", "susan@example.com")
    files = sorted(folder.iterdir())
    assert len(files) == 2
    bodies = [f.read_text() for f in files]
    assert any("To: john@example.com" in b for b in bodies)
    assert any("To: susan@example.com" in b for b in bodies)
    assert all("/auth/confirm/" in b for b in bodies)


def test_console_backend_prints_the_message(make_app, capsys):
    app = make_app(MAIL_BACKEND="console")
    AuthActions(app.test_client()).register("john", "john@example.com")
    out = capsys.readouterr().out
    assert "Subject: [Wren] Confirm your email address" in out
    assert "To: john@example.com" in out


def test_default_backends(app_env, monkeypatch):
    monkeypatch.delenv("MAIL_BACKEND", raising=False)
    assert create_app("testing").config["MAIL_BACKEND"] == "locmem"
    assert create_app("development").config["MAIL_BACKEND"] == "console"


def test_mail_has_text_and_html_bodies_with_escaped_names(app, make_user):
    from app.services import mail

    user = make_user("john")
    with app.test_request_context():
        message = mail.build_email(
            "x@example.com",
            "Test",
            "email_change_notice",
            user=user,
            new_email="<b>evil</b>@example.com",
        )
    html = message.alternatives[0][0]
    assert "&lt;b&gt;evil&lt;/b&gt;" in html
    assert "<b>evil</b>@example.com" in message.body


def test_mail_server_down_does_not_break_or_reveal(make_app, caplog, make_user):
    app = make_app(
        MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(free_port())
    )
    make_user("john", email="john@example.com")
    auth = AuthActions(app.test_client())
    known = auth.post_form(
        "/auth/reset_password_request", {"email": "john@example.com"}
    )
    unknown = auth.post_form("/auth/reset_password_request", {"email": "x@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert auth.register("susan", "susan@example.com").status_code == 302
    failures = [r for r in caplog.records if "Could not send" in r.getMessage()]
    assert len(failures) == 2
