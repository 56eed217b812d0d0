"""Private messages: the conversations list and one conversation.

A conversation's URL names only the other person; the reader is always one
side of it, so nobody can open a conversation between two others.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app.extensions import limiter
from app.main.forms import MessageForm
from app.main.routes import before_arg, bp, page_size, user_or_404
from app.models import MESSAGE_MAX, User
from app.services import DomainError, accounts, messages
from app.services.errors import Forbidden, NotFound
from app.web import conditional
from app.web.ratelimits import MESSAGE_SCOPE, current_user_key, message_limits

# Counted per account, in the same bucket as the API's sends.
send_limit = limiter.shared_limit(
    message_limits, scope=MESSAGE_SCOPE, key_func=current_user_key, methods=["POST"]
)


@bp.get("/messages")
@login_required
def messages_page() -> ResponseReturnValue:
    to = request.args.get("to", "").strip()
    error = ""
    if to:
        other = accounts.find_by_username(to)
        if other is not None and other.id != current_user.id:
            return redirect(url_for("main.conversation", username=other.username))
        error = (
            messages.CANNOT_MESSAGE_SELF
            if other is not None
            else f"There is no user called {to}."
        )
    page = messages.conversations_page(current_user, before_arg(), page_size())
    parts: tuple[Any, ...] = (tuple(page.items), page.next_cursor, to, error)
    return conditional.render(
        parts, "main/messages.html", page=page, to=to, error=error
    )


@bp.route("/messages/<username>", methods=["GET", "POST"])
@login_required
@send_limit
def conversation(username: str) -> ResponseReturnValue:
    other = user_or_404(username)
    if other.id == current_user.id:
        flash(messages.CANNOT_MESSAGE_SELF, "warning")
        return redirect(url_for("main.messages_page"))
    draft = ""
    errors: list[str] = []
    if request.method == "POST":
        form = MessageForm()
        if form.validate_on_submit():
            try:
                messages.send(current_user, other, form.body.data)
            except NotFound:
                abort(404, f"There is no user called {username}.")
            except Forbidden as exc:
                abort(403, str(exc))
            except DomainError as exc:
                form.body.errors.append(str(exc))
            else:
                flash("Your message was sent.", "success")
                return redirect(url_for("main.conversation", username=other.username))
        draft, errors = form.body.data or "", list(form.body.errors)
    return conversation_page(other, draft, errors)


def conversation_page(
    other: User, draft: str, errors: list[str]
) -> ResponseReturnValue:
    # Before anything reads the badge: the page shows the count after this.
    messages.mark_read(current_user, other)
    page = messages.conversation_page(current_user, other, before_arg(), page_size())
    parts = (
        other.id,
        other.username,
        other.email,
        other.avatar,
        tuple(page.items),
        page.next_cursor,
    )
    return conditional.render(
        (*parts, draft, errors),
        "main/conversation.html",
        other=other,
        page=page,
        shown=list(reversed(page.items)),
        draft=draft,
        errors=errors,
        message_max=MESSAGE_MAX,
    )
