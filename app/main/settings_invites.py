"""/settings/invites: invite links for REGISTRATION_MODE=invite."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.admin.forms import InviteForm
from app.forms import EmptyForm
from app.main.routes import bp
from app.services import DomainError, invites


def _invite_mode_only() -> None:
    if current_app.config["REGISTRATION_MODE"] != "invite":
        abort(404, _l("Invites are only used when registration is by invitation."))


@bp.route("/settings/invites", methods=["GET", "POST"])
@login_required
def settings_invites() -> ResponseReturnValue:
    _invite_mode_only()
    form = InviteForm()
    link = None
    if form.validate_on_submit():
        try:
            _invite, code = invites.create(
                current_user, form.max_uses.data, form.days.data
            )
        except DomainError as exc:
            form[exc.field or "max_uses"].errors.append(str(exc))
        else:
            # Shown once: only the code's hash is kept.
            link = url_for("auth.register", invite=code, _external=True)
    return render_template(
        "main/settings_invites.html",
        form=form,
        link=link,
        invites=invites.of(current_user),
        state=invites.state,
        may_invite=invites.may_invite(current_user),
        button_form=EmptyForm(),
    )


@bp.post("/settings/invites/<int(max=2147483647):invite_id>/revoke")
@login_required
def revoke_invite(invite_id: int) -> ResponseReturnValue:
    _invite_mode_only()
    if EmptyForm().validate_on_submit():
        if invites.revoke(current_user, invite_id):
            flash(
                _("The invite link is revoked: nobody can register with it."), "success"
            )
        else:
            flash(_("That invite was already revoked."), "info")
    return redirect(url_for("main.settings_invites"))
