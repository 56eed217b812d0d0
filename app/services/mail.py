"""Mail sent to users. Bodies come from templates/email/<name>.txt and .html.

``send_email`` renders a message where it is asked for (in a request, or in
a job) and queues a delivery job with plain strings; the delivery job hands
it to flask-mailman's backend, chosen by MAIL_BACKEND (console, file, smtp,
locmem). A delivery that fails (SMTP down) raises, so the job is retried with
backoff (MAIL_RETRIES, MAIL_RETRY_DELAY; see config.py): no mail is lost to
an outage of a few hours, and the page that asked for it never waits on SMTP.

Each mail is written in its recipient's language when the recipient has an
account with one set, else in the language of the request that asked for it.
Subjects are lazy strings (``_l``) so they too are translated then, inside
that language, not in the caller's. Templates link with
``external_url(endpoint, ...)``, built on PUBLIC_URL and never on the Host
header of a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, TypedDict, cast

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_mailman import EmailMultiAlternatives

from app import i18n
from app.extensions import db
from app.jobs import jobs
from app.models import User
from app.web.security import external_url

# Where links in mail point when it is rendered outside any request (in a
# job) and PUBLIC_URL is unset, as in development: `flask run`'s address.
# Production refuses to start without PUBLIC_URL, so it never gets here.
DEV_ORIGIN = "http://localhost:5000"


class DeliveryFailed(OSError):
    """A mail the backend did not take; the job retries it."""


class Outgoing(TypedDict):
    """A rendered message: what the delivery job receives (plain strings)."""

    to: str
    subject: str
    text: str
    html: str
    sender: str
    kind: str  # the template's name, for logs and /admin


def describe(to: str = "", subject: str = "", kind: str = "", **_: Any) -> str:
    """A failed delivery as /admin shows it. The bodies carry reset and
    confirmation tokens, and moderators do not see addresses: only the
    domain is kept, which is what tells a refusing mail provider apart."""
    domain = to.rpartition("@")[2]
    return f"{kind} mail to …@{domain}: {subject}"


def message_from(outgoing: Outgoing) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=outgoing["subject"],
        body=outgoing["text"],
        from_email=outgoing["sender"],
        to=[outgoing["to"]],
    )
    message.attach_alternative(outgoing["html"], "text/html")
    return message


@jobs.task(
    retries="MAIL_RETRIES",
    retry_delay="MAIL_RETRY_DELAY",
    name="mail.deliver",
    describe=describe,
)
def deliver(**outgoing: Any) -> None:
    """Send one rendered message; an error raises so that the job retries."""
    message = message_from(cast(Outgoing, outgoing))
    connection = message.get_connection()
    try:
        connection.send_messages([message])
    except OSError as exc:  # smtplib.SMTPException is an OSError
        # SMTP errors may quote the recipient; the error is logged and shown
        # on /admin, where moderators do not see addresses.
        error = f"{type(exc).__name__}: {exc}".replace(
            outgoing["to"], "…@" + outgoing["to"].rpartition("@")[2]
        )
        current_app.logger.warning(
            "Could not send %r mail (%s); the job will retry", outgoing["kind"], error
        )
        raise DeliveryFailed(error) from None
    finally:
        # flask-mailman leaves the SMTP connection open when sending raises;
        # a worker retrying through an outage would collect sockets.
        connection.close()


@jobs.task(name="mail.discard", describe=describe)
def discard(**outgoing: Any) -> None:
    """The stand-in for ``deliver`` when there is no one to mail (see
    ``build_dummy_reset``): queued alike, sends nothing."""


@contextmanager
def rendering_context() -> Iterator[None]:
    """A request context for templates and url_for, also inside a job.

    A job has no request: links are built on PUBLIC_URL, or on DEV_ORIGIN
    (with a warning) where it is unset.
    """
    if has_request_context():
        yield
        return
    origin = current_app.config.get("PUBLIC_URL")
    if not origin:
        origin = DEV_ORIGIN
        current_app.logger.warning(
            "PUBLIC_URL is not set: links in mail sent from a job use %s", origin
        )
    with current_app.test_request_context(base_url=origin):
        yield


def account_for(to: str, context: dict[str, Any]) -> User | None:
    """The account a message is for: the ``user`` it is about, or the
    account holding the address."""
    user = context.get("user")
    if isinstance(user, User):
        return user
    return db.session.scalar(sa.select(User).where(User.email == to.lower()))


def render(
    to: str,
    subject: str | LazyString,
    template: str,
    language: str | None,
    **context: Any,
) -> Outgoing:
    """Render ``template`` for ``to`` in ``language`` (None: the request's)."""
    context = {"external_url": external_url, **context}
    with rendering_context(), force_locale(language) if language else nullcontext():
        return Outgoing(
            to=to,
            # str() translates a lazy subject here, in the chosen language.
            subject=f"[Wren] {subject}",
            text=render_template(f"email/{template}.txt", **context),
            html=render_template(f"email/{template}.html", **context),
            sender=current_app.config["MAIL_DEFAULT_SENDER"],
            kind=template,
        )


def build_email(
    to: str, subject: str | LazyString, template: str, **context: Any
) -> EmailMultiAlternatives:
    """The message ``send_email`` would queue, as a flask-mailman object."""
    language = i18n.chosen_language(account_for(to, context))
    return message_from(render(to, subject, template, language, **context))


def send_email(
    to: str, subject: str | LazyString, template: str, **context: Any
) -> str:
    """Render one message now and queue its delivery; the job's id.

    Call it after the request's commit. ``subject`` should be ``_l("...")``
    so that it is translated into the recipient's language.
    """
    language = i18n.chosen_language(account_for(to, context))
    outgoing = render(to, subject, template, language, **context)
    return deliver.enqueue(**outgoing)


def send_confirmation(user: User, email: str | None = None) -> None:
    """Mail a confirmation link for ``email`` (default: the current address)."""
    from app.services import tokens

    email = email or user.email
    token = tokens.make_confirm_token(user, email)
    send_email(
        email,
        _l("Confirm your email address"),
        "confirm",
        user=user,
        token=token,
        changing=email != user.email,
    )


def send_account_exists(user: User) -> None:
    send_email(
        user.email,
        _l("Someone tried to register with your address"),
        "account_exists",
        user=user,
    )


def send_password_reset(user: User) -> None:
    from app.services import tokens

    token = tokens.make_reset_token(user)
    send_email(
        user.email,
        _l("Reset your password"),
        "reset_password",
        username=user.username,
        token=token,
    )


def build_dummy_reset(email: str) -> None:
    """Do the work of a reset mail for an address no account holds.

    The reset request answers the same whether or not an account holds the
    address; doing the same work (look the address up, render, queue a job
    of the same size) keeps the response time alike too. The job queued
    sends nothing.
    """
    language = i18n.chosen_language(account_for(email, {}))
    outgoing = render(
        email,
        _l("Reset your password"),
        "reset_password",
        language,
        username="",
        token="x" * 80,
    )
    discard.enqueue(**outgoing)


def send_password_changed(user: User) -> None:
    send_email(
        user.email, _l("Your password was changed"), "password_changed", user=user
    )


def send_email_change_notice(user: User, new_email: str) -> None:
    """Tell the current address that a change to ``new_email`` was asked for."""
    send_email(
        user.email,
        _l("Your email address is being changed"),
        "email_change_notice",
        user=user,
        new_email=new_email,
    )


def send_email_changed(user: User, old_email: str) -> None:
    send_email(
        old_email,
        _l("Your email address was changed"),
        "email_changed",
        user=user,
        new_email=user.email,
    )


def send_address_in_use(email: str) -> None:
    """Tell the owner of ``email`` that another account tried to take it."""
    send_email(email, _l("Someone tried to use your address"), "address_in_use")


def send_export_ready(user: User, link: str, expires: str, size: int) -> None:
    """Tell ``user`` that their export of ``size`` bytes can be downloaded
    from ``link`` (their export page) until ``expires`` (a formatted time)."""
    send_email(
        user.email,
        _l("Your data export is ready"),
        "export_ready",
        user=user,
        link=link,
        expires=expires,
        size=size,
    )
