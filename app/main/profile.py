"""Profiles, profile settings and locally generated avatars."""

from __future__ import annotations

import re

import sqlalchemy as sa
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
from flask_login import current_user, login_required

from app.avatars import clamp_size, identicon_svg
from app.extensions import db
from app.main.forms import ProfileForm
from app.main.routes import bp, profile_context, profile_version
from app.models import User
from app.services import DomainError, accounts
from app.web import conditional

_DIGEST = re.compile(r"^[0-9a-f]{32}$")


def get_user_or_404(username: str) -> User:
    user = db.session.scalar(
        sa.select(User).where(User.username_key == username.lower())
    )
    if user is None:
        abort(404, f"There is no user called {username}.")
    return user


@bp.get("/user/<username>")
def user_profile(username: str) -> ResponseReturnValue:
    user = get_user_or_404(username)
    context = profile_context(user)
    return conditional.render(
        profile_version(user, context), "main/profile.html", user=user, **context
    )


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def settings_profile() -> ResponseReturnValue:
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user, username=form.username.data, about_me=form.about_me.data
            )
        except DomainError as exc:
            form[exc.field or "username"].errors.append(str(exc))
        else:
            flash("Your profile has been saved.", "success")
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
