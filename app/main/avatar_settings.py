"""Settings: upload your own avatar, or go back to the default one."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.forms import EmptyForm
from app.main.forms import AvatarForm
from app.main.routes import bp
from app.services import DomainError, media


@bp.route("/settings/avatar", methods=["GET", "POST"])
@login_required
def settings_avatar() -> ResponseReturnValue:
    form = AvatarForm()
    if form.validate_on_submit():
        try:
            media.set_avatar(current_user, form.avatar.data.stream)
        except DomainError as exc:
            form.avatar.errors.append(str(exc))
        else:
            flash(_("Your new picture is up."), "success")
            return redirect(url_for("main.settings_avatar"))
    return render_template(
        "main/settings_avatar.html", form=form, remove_form=EmptyForm()
    )


@bp.post("/settings/avatar/delete")
@login_required
def settings_avatar_delete() -> ResponseReturnValue:
    if EmptyForm().validate_on_submit() and current_user.avatar:
        media.remove_avatar(current_user)
        flash(_("Your picture is removed; the default one is back."), "success")
    return redirect(url_for("main.settings_avatar"))
