"""Account settings: password, email address and deleting the account.

Profile settings live in app/main/profile.py; all share one settings nav.
"""

from __future__ import annotations

from flask import (
    flash,
    redirect,
    render_template,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.forms import ChangeEmailForm, ChangePasswordForm, DeleteAccountForm
from app.extensions import db, limiter
from app.main.routes import bp
from app.models import User
from app.services import DomainError, accounts
from app.web.login import end_browser_session, log_in
from app.web.ratelimits import current_user_key, login_account_limits

# The password forms below would otherwise let a stolen session guess the
# password at full speed; they share the per-account login budget's rate.
password_check_limit = limiter.shared_limit(
    login_account_limits,
    scope="settings-password-check",
    key_func=current_user_key,
    methods=["POST"],
)


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
@password_check_limit
def settings_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_password(
                current_user, form.current_password.data, form.password.data
            )
        except DomainError as exc:
            form[exc.field or "password"].errors.append(str(exc))
        else:
            _keep_this_session(user)
            flash(
                _(
                    "Your password has been changed. "
                    "Other sessions have been logged out."
                ),
                "success",
            )
            return redirect(url_for("main.settings_password"))
    return render_template("main/settings_password.html", form=form)


def _keep_this_session(user: User) -> None:
    """Log this browser in again: the password change ended every login.

    Remember-me is kept only if this login had it.
    """
    # ``user`` is the current_user proxy (change_password hands it back).
    # Flask-Login must keep the User itself: given the proxy, current_user
    # would resolve to itself, and the next read of it in this request (the
    # language of the flash below) would recurse until the process crashed.
    user = db.get_or_404(User, user.id)
    record = user.login_record
    log_in(user, remember=record is not None and record.remember)


@bp.route("/settings/email", methods=["GET", "POST"])
@login_required
@password_check_limit
def settings_email() -> ResponseReturnValue:
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            accounts.request_email_change(
                current_user, form.password.data, form.email.data
            )
        except DomainError as exc:
            form[exc.field or "email"].errors.append(str(exc))
        else:
            flash(
                _(
                    "We sent a confirmation link to %(email)s. Your address "
                    "changes when you follow it; until then we keep using "
                    "%(current)s.",
                    email=form.email.data.strip(),
                    current=current_user.email,
                ),
                "info",
            )
            return redirect(url_for("main.settings_email"))
    return render_template("main/settings_email.html", form=form)


@bp.route("/settings/delete", methods=["GET", "POST"])
@login_required
@password_check_limit
def settings_delete() -> ResponseReturnValue:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            accounts.delete_account(current_user, form.password.data)
        except DomainError as exc:
            form[exc.field or "password"].errors.append(str(exc))
        else:
            end_browser_session()
            flash(_("Your account and everything in it have been deleted."), "info")
            return redirect(url_for("main.index"))
    return render_template("main/settings_delete.html", form=form)
