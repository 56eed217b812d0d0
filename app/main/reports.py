"""Reporting a post or an account to the moderators."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.admin.forms import ReportForm
from app.extensions import limiter
from app.main.conversation import POST, post_or_404
from app.main.routes import bp, user_or_404
from app.services import DomainError, moderation, timelines
from app.services.errors import NotFound
from app.web.ratelimits import REPORT_SCOPE, current_user_key, report_limits

report_limit = limiter.shared_limit(
    report_limits, scope=REPORT_SCOPE, key_func=current_user_key, methods=["POST"]
)
THANKS = _l("Thank you: the moderators will look at your report.")


def _field(exc: DomainError) -> str:
    return exc.field if exc.field in ("reason", "comment") else "reason"


@bp.route(f"{POST}/report", methods=["GET", "POST"])
@login_required
@report_limit
def report_post(post_id: int) -> ResponseReturnValue:
    post = post_or_404(post_id)
    if post.user_id == current_user.id:
        abort(403, _l("You cannot report your own post."))
    form = ReportForm()
    if form.validate_on_submit():
        try:
            moderation.report_post(
                current_user, post.id, form.reason.data, form.comment.data
            )
        except NotFound as exc:
            abort(404, str(exc))
        except DomainError as exc:
            form[_field(exc)].errors.append(str(exc))
        else:
            flash(str(THANKS), "success")
            return redirect(url_for("main.thread", post_id=post.id))
    shown = timelines.view(post.id, current_user.id)
    return render_template("main/report.html", form=form, post=shown, user=None)


@bp.route("/user/<username>/report", methods=["GET", "POST"])
@login_required
@report_limit
def report_user(username: str) -> ResponseReturnValue:
    user = user_or_404(username)
    if user.id == current_user.id:
        abort(403, _l("You cannot report yourself."))
    form = ReportForm()
    if form.validate_on_submit():
        try:
            moderation.report_user(
                current_user, user, form.reason.data, form.comment.data
            )
        except DomainError as exc:
            form[_field(exc)].errors.append(str(exc))
        else:
            flash(str(THANKS), "success")
            return redirect(url_for("main.user_profile", username=user.username))
    return render_template("main/report.html", form=form, post=None, user=user)
