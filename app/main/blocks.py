"""Blocking and muting from a profile, and the reader's own block and mute
lists (/settings/blocks). The rules live in app/services/blocks.py."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors.handlers import wants_json
from app.main.routes import back_to, bp, user_or_404
from app.models import User
from app.services import DomainError, blocks
from app.web.headers import no_content

USER = "/user/<username>"
# Each takes the other account's name and says what was done, translated.
DONE: dict[str, Callable[[str], str]] = {
    "block": lambda name: _(
        "You blocked %(name)s. You no longer see their posts, and neither "
        "of you can follow, reply to, like, mention or message the other.",
        name=name,
    ),
    "unblock": lambda name: _("You unblocked %(name)s.", name=name),
    "mute": lambda name: _(
        "You muted %(name)s. Their posts and notifications are hidden from "
        "you; they are not told.",
        name=name,
    ),
    "unmute": lambda name: _("You unmuted %(name)s.", name=name),
}


def _act(
    username: str, action: Callable[[User, User], None], done: str
) -> ResponseReturnValue:
    other = user_or_404(username)
    try:
        action(current_user, other)
    except DomainError as exc:
        if wants_json():
            return {"message": str(exc)}, 422
        flash(str(exc), "warning")
    else:
        if wants_json():
            return no_content()
        flash(DONE[done](other.username), "success")
    return back_to(url_for("main.user_profile", username=other.username))


@bp.post(f"{USER}/block")
@login_required
def block(username: str) -> ResponseReturnValue:
    return _act(username, blocks.block, "block")


@bp.post(f"{USER}/unblock")
@login_required
def unblock(username: str) -> ResponseReturnValue:
    return _act(username, blocks.unblock, "unblock")


@bp.post(f"{USER}/mute")
@login_required
def mute(username: str) -> ResponseReturnValue:
    return _act(username, blocks.mute, "mute")


@bp.post(f"{USER}/unmute")
@login_required
def unmute(username: str) -> ResponseReturnValue:
    return _act(username, blocks.unmute, "unmute")


@bp.get("/settings/blocks")
@login_required
def settings_blocks() -> ResponseReturnValue:
    # Only ever the reader's own lists: no URL names anybody else's.
    return render_template(
        "main/settings_blocks.html",
        blocked=blocks.blocked_by(current_user),
        muted=blocks.muted_by(current_user),
    )
