"""Mail sent to users. Bodies come from templates/email/<name>.txt and .html.

The backend is flask-mailman's, chosen by MAIL_BACKEND (console, file, smtp,
locmem). Templates link with ``external_url(endpoint, ...)``, which builds on
PUBLIC_URL and never on the Host header of the request that sent the mail.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives

from app.models import User
from app.web.security import external_url


def build_email(
    to: str, subject: str, template: str, **context: Any
) -> EmailMultiAlternatives:
    context = {"external_url": external_url, **context}
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    message = EmailMultiAlternatives(
        subject=f"[Wren] {subject}",
        body=text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    return message


def send_email(to: str, subject: str, template: str, **context: Any) -> bool:
    """Send one message; a mail server that is down is logged, not raised.

    The action that asked for the mail has happened by then, and an error
    page would tell a reset form's user that the address has an account.
    """
    message = build_email(to, subject, template, **context)
    try:
        message.send()
    except OSError:  # smtplib.SMTPException is an OSError
        current_app.logger.exception("Could not send %r mail", template)
        return False
    return True


def send_confirmation(user: User, email: str | None = None) -> None:
    """Mail a confirmation link for ``email`` (default: the current address)."""
    from app.services import tokens

    email = email or user.email
    token = tokens.make_confirm_token(user, email)
    send_email(
        email,
        "Confirm your email address",
        "confirm",
        user=user,
        token=token,
        changing=email != user.email,
    )


def send_account_exists(user: User) -> None:
    send_email(
        user.email,
        "Someone tried to register with your address",
        "account_exists",
        user=user,
    )


def send_password_reset(user: User) -> None:
    from app.services import tokens

    token = tokens.make_reset_token(user)
    send_email(
        user.email,
        "Reset your password",
        "reset_password",
        username=user.username,
        token=token,
    )


def build_dummy_reset(email: str) -> None:
    """Do the work of a reset mail without sending it.

    The reset request answers the same whether or not an account holds the
    address; building the message keeps the response time alike too.
    """
    build_email(
        email, "Reset your password", "reset_password", username="", token="x" * 80
    ).message()


def send_password_changed(user: User) -> None:
    send_email(user.email, "Your password was changed", "password_changed", user=user)


def send_email_change_notice(user: User, new_email: str) -> None:
    """Tell the current address that a change to ``new_email`` was asked for."""
    send_email(
        user.email,
        "Your email address is being changed",
        "email_change_notice",
        user=user,
        new_email=new_email,
    )


def send_email_changed(user: User, old_email: str) -> None:
    send_email(
        old_email,
        "Your email address was changed",
        "email_changed",
        user=user,
        new_email=user.email,
    )


def send_address_in_use(email: str) -> None:
    """Tell the owner of ``email`` that another account tried to take it."""
    send_email(email, "Someone tried to use your address", "address_in_use")


def send_export_ready(user: User, link: str, expires: str, size: int) -> None:
    """Tell ``user`` that their export of ``size`` bytes can be downloaded
    from ``link`` (their export page) until ``expires`` (a formatted time)."""
    from flask_babel import lazy_gettext

    send_email(
        user.email,
        lazy_gettext("Your data export is ready"),
        "export_ready",
        user=user,
        link=link,
        expires=expires,
        size=size,
    )
