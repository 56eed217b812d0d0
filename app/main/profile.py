"""Profiles, profile settings and locally generated avatars."""

from __future__ import annotations

import re

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.avatars import clamp_size, identicon_svg
from app.main.forms import ProfileForm
from app.main.routes import bp, profile_page, profile_version
from app.services import DomainError, accounts
from app.web import conditional

_DIGEST = re.compile(r"^[0-9a-f]{32}$")


@bp.get("/user/<username>")
def user_profile(username: str) -> ResponseReturnValue:
    found, page = profile_page(username)
    return conditional.render(
        profile_version(found, page),
        "main/profile.html",
        user=found.user,
        counts=found.counts,
        viewer_follows=found.viewer_follows,
        viewer_blocks=found.viewer_blocks,
        viewer_mutes=found.viewer_mutes,
        page=page,
    )


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def settings_profile() -> ResponseReturnValue:
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user,
                username=form.username.data,
                about_me=form.about_me.data,
                language=form.language.data,
            )
        except DomainError as exc:
            form[exc.field or "username"].errors.append(str(exc))
        else:
            flash(_("Your profile has been saved."), "success")
            return redirect(
                url_for("main.user_profile", username=current_user.username)
            )
    return render_template("main/settings_profile.html", form=form)


@bp.get("/avatar/<digest>.svg")
def avatar(digest: str) -> ResponseReturnValue:
    if not _DIGEST.match(digest):
        abort(404)
    size = clamp_size(request.args.get("s", 80, type=int))
    resp = make_response(identicon_svg(digest, size))
    resp.headers["Content-Type"] = "image/svg+xml"
    resp.cache_control.public = True
    resp.cache_control.max_age = 86400
    return resp
