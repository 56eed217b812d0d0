"""Settings: the logins of this account, and ending them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.forms import EmptyForm
from app.main.routes import bp
from app.services import devices, sessions


@bp.get("/settings/sessions")
@login_required
def settings_sessions() -> ResponseReturnValue:
    current = current_user.login_record
    rows = [
        {
            "record": record,
            "device": devices.describe(record.user_agent),
            "current": current is not None and record.id == current.id,
        }
        for record in sessions.live(current_user)
    ]
    # This device first, then the others by their last use.
    rows.sort(key=lambda row: not row["current"])
    return render_template("main/settings_sessions.html", rows=rows, form=EmptyForm())


@bp.post("/settings/sessions/<public_id>/revoke")
@login_required
def settings_session_revoke(public_id: str) -> ResponseReturnValue:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    current = current_user.login_record
    if current is not None and current.public_id == public_id:
        # Ending this browser's own login is what "Log out" is for.
        flash(_("This is the session you are using: log out to end it."), "info")
        return redirect(url_for("main.settings_sessions"))
    if not sessions.revoke(current_user, public_id):
        abort(404)
    flash(_("That session has been logged out."), "success")
    return redirect(url_for("main.settings_sessions"))


@bp.post("/settings/sessions/revoke_others")
@login_required
def settings_sessions_revoke_others() -> ResponseReturnValue:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    sessions.revoke_others(current_user, current_user.login_record)
    flash(_("Every other session has been logged out."), "success")
    return redirect(url_for("main.settings_sessions"))
