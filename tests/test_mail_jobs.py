"""Mail through jobs: queued by the page, delivered by the worker, retried
while SMTP is down, written in the recipient's language, linked on the
public address even from a job."""

from __future__ import annotations

import logging
import re

import pytest
from aiosmtpd.controller import Controller
from flask import template_rendered
from flask_babel import get_locale
from flask_babel.speaklater import LazyString

from app.services import mail
from tests.conftest import AuthActions
from tests.job_helpers import running_consumer
from tests.mailbox import link_in, mail_to, outbox
from tests.servers import free_port, wait_until
from tests.test_mail import Inbox

RESET = "/auth/reset_password_request"


def test_the_page_queues_the_mail_and_the_worker_sends_it(make_app, make_user):
    app = make_app(JOBS_IMMEDIATE="false")
    make_user("john", email="john@example.com")
    huey = app.extensions["jobs"].huey
    response = AuthActions(app.test_client()).post_form(
        RESET, {"email": "john@example.com"}
    )
    assert response.status_code == 302
    assert outbox(app) == []
    assert huey.pending_count() == 1

    huey.execute(huey.dequeue())
    (message,) = mail_to(app, "john@example.com")
    assert message.subject == "[Wren] Reset your password"
    assert link_in(message).startswith("/auth/reset_password/")


def test_smtp_outage_loses_no_mail(make_app, make_user, caplog):
    """A real SMTP server is down when the reset is asked for; the worker's
    first try fails, the server comes back, the retry delivers."""
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    server.stop()  # down, as in an outage: nothing listens on the port
    app = make_app(
        JOBS_IMMEDIATE="false",
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        MAIL_TIMEOUT="2",
        MAIL_RETRY_DELAY="1",
        MAIL_DEFAULT_SENDER="Wren <noreply@wren.test>",
    )
    make_user("john", email="john@example.com")
    huey = app.extensions["jobs"].huey
    client = app.test_client()
    caplog.set_level(logging.WARNING)

    response = AuthActions(client).post_form(RESET, {"email": "john@example.com"})
    assert response.status_code == 302
    assert huey.pending_count() == 1

    with running_consumer(huey):
        wait_until(
            lambda: any("Could not send" in r.getMessage() for r in caplog.records),
            what="the first, failing try",
        )
        assert inbox.messages == []
        server = Controller(inbox, hostname="127.0.0.1", port=port)
        server.start()
        try:
            wait_until(lambda: inbox.messages, what="the retried delivery")
        finally:
            server.stop()

    ((sender, recipients, message),) = inbox.messages
    assert sender == "noreply@wren.test"
    assert recipients == ["john@example.com"]
    assert message["Subject"] == "[Wren] Reset your password"
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http://localhost(/auth/reset_password/\S+)", text).group(1)
    assert client.get(link).status_code == 200
    assert huey.pending_count() == 0
    assert huey.scheduled_count() == 0


def locales_rendered(app):
    """Record the locale each mail template is rendered in."""
    seen: list[str] = []

    def record(sender, template, context, **extra):
        if template.name.startswith("email/"):
            seen.append(str(get_locale()))

    template_rendered.connect(record, app, weak=False)
    return seen


def test_mail_is_written_in_the_recipients_language(make_app, make_user):
    app = make_app()
    make_user("juan", email="juan@example.com", language="es")
    seen = locales_rendered(app)
    # Asked for from an English page: the account's Spanish wins.
    AuthActions(app.test_client()).post_form(RESET, {"email": "juan@example.com"})
    assert seen == ["es", "es"]
    assert len(mail_to(app, "juan@example.com")) == 1


def test_without_a_language_the_request_decides(make_app, make_user):
    app = make_app()
    make_user("john", email="john@example.com")
    seen = locales_rendered(app)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-ES,es;q=0.9"
    AuthActions(client).post_form(RESET, {"email": "john@example.com"})
    assert seen == ["es", "es"]


def test_the_subject_is_translated_in_the_recipients_language(make_app, make_user):
    app = make_app()
    user = make_user("juan", email="juan@example.com", language="es")

    # A stand-in for the Spanish catalogue (not written yet): capitals when
    # translated in Spanish, so the subject shows where it was translated.
    def fake(string: str) -> str:
        return string.upper() if str(get_locale()) == "es" else string

    subject = LazyString(fake, "Reset your password")
    with app.test_request_context():  # an English request
        mail.send_email(user.email, subject, "password_changed", user=user)
    (message,) = mail_to(app, "juan@example.com")
    assert message.subject == "[Wren] RESET YOUR PASSWORD"


def test_mail_from_a_job_links_to_public_url(make_app, make_user):
    app = make_app(PUBLIC_URL="https://wren.example.org")
    user = make_user("john", email="john@example.com")
    with app.app_context():  # no request, as in a worker
        mail.send_password_reset(user)
    (message,) = mail_to(app, "john@example.com")
    assert "https://wren.example.org/auth/reset_password/" in message.body


def test_mail_from_a_job_without_public_url_uses_the_dev_origin(
    make_app, make_user, caplog
):
    app = make_app()
    user = make_user("john", email="john@example.com")
    with app.app_context():
        mail.send_password_reset(user)
    (message,) = mail_to(app, "john@example.com")
    assert f"{mail.DEV_ORIGIN}/auth/reset_password/" in message.body
    assert any("PUBLIC_URL is not set" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("email", ["nobody@example.com", "not-an-address"])
def test_unknown_address_queues_a_job_like_a_known_one(make_app, make_user, email):
    """No enumeration: both paths render the mail and queue one job of the
    same size; the unknown one's job sends nothing."""
    app = make_app(JOBS_IMMEDIATE="false")
    make_user("john", email="john@example.com")
    huey = app.extensions["jobs"].huey
    auth = AuthActions(app.test_client())

    known = auth.post_form(RESET, {"email": "john@example.com"})
    real = huey.dequeue()
    unknown = auth.post_form(RESET, {"email": email})
    dummy = huey.dequeue()
    assert known.headers["Location"] == unknown.headers["Location"]
    assert (real.name, dummy.name) == ("mail.deliver", "mail.discard")
    size = len(huey.serialize_task(real))
    assert abs(len(huey.serialize_task(dummy)) - size) < size * 0.2

    huey.execute(dummy)
    assert outbox(app) == []
    huey.execute(real)
    assert [m.to for m in outbox(app)] == [["john@example.com"]]
