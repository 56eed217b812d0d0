"""Mail sent to users. Bodies come from templates/email/<name>.txt and .html."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives

from app.models import User


def send_email(to: str, subject: str, template: str, **context: Any) -> None:
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    message = EmailMultiAlternatives(
        subject=f"[Wren] {subject}",
        body=text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    message.send()


def send_confirmation(user: User) -> None:
    from app.services import tokens

    token = tokens.make_confirm_token(user)
    send_email(user.email, "Confirm your email address", "confirm", user=user, token=token)


def send_account_exists(user: User) -> None:
    send_email(
        user.email,
        "Someone tried to register with your address",
        "account_exists",
        user=user,
    )
