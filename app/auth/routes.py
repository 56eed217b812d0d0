"""Register, log in, log out, confirm the address and reset the password."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.auth.forms import (
    LoginForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetPasswordRequestForm,
    TwoFactorLoginForm,
)
from app.extensions import limiter
from app.forms import EmptyForm
from app.services import DomainError, accounts, invites
from app.services import two_factor as second_factor
from app.services.accounts import Confirmed
from app.services.tokens import InvalidToken
from app.web import pending_login
from app.web.login import end_browser_session, log_in
from app.web.ratelimits import (
    account_key,
    address_key,
    current_address_key,
    email_limits,
    login_account_limits,
    login_limits,
    pending_account_key,
    register_limits,
    two_factor_limits,
)
from app.web.security import safe_next

bp = Blueprint("auth", __name__)

LOGIN_FAILED = _l("Invalid username or password.")
CHECK_INBOX = _l(
    "Thanks for registering! We sent you an email: follow its link to confirm "
    "your address, then log in."
)
RESET_SENT = _l(
    "If an account uses that address, we have sent it a link to reset the "
    "password. The link works for one hour."
)
SUSPENDED = _l(
    "This account is suspended by the moderators and cannot log in. "
    "Write to the site's operators if you think this is a mistake."
)
AWAIT_APPROVAL = _l(
    "New accounts here are approved by a moderator: you can log in once yours is."
)
ALREADY_CONFIRMED = _l("Your email address is already confirmed.")
CONFIRM_MESSAGES = {
    Confirmed.CONFIRMED: (_l("Thank you: your email address is confirmed."), "success"),
    Confirmed.ALREADY: (ALREADY_CONFIRMED, "info"),
    Confirmed.EMAIL_CHANGED: (_l("Your email address has been changed."), "success"),
}


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(register_limits, methods=["POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if request.method == "GET":
        form.invite.data = request.args.get("invite", "")
    if form.validate_on_submit():
        try:
            accounts.register(
                form.username.data,
                form.email.data,
                form.password.data,
                invite=form.invite.data,
            )
        except DomainError as exc:
            form[exc.field or "username"].errors.append(str(exc))
        else:
            flash(str(CHECK_INBOX), "info")
            if current_app.config["REGISTRATION_MODE"] == "approval":
                flash(str(AWAIT_APPROVAL), "info")
            return redirect(url_for("auth.login"))
    return render_template(
        "auth/register.html", form=form, invite_ok=_invite_ok(form.invite.data)
    )


def _invite_ok(code: str | None) -> bool:
    """Whether the form may be shown: always, unless invites are required."""
    if current_app.config["REGISTRATION_MODE"] != "invite":
        return True
    return invites.is_usable(code)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
@limiter.limit(login_account_limits, key_func=account_key, methods=["POST"])
def login() -> ResponseReturnValue:
    next_page = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(LOGIN_FAILED)
        elif user.is_suspended:
            form.password.errors.append(SUSPENDED)
        elif user.pending:
            return render_template("auth/pending.html"), 403
        elif second_factor.is_enabled(user):
            # Not logged in yet: the second step needs a code first.
            pending_login.begin(
                user, remember=form.remember_me.data, next_page=next_page
            )
            return redirect(url_for("auth.two_factor"))
        else:
            log_in(user, remember=form.remember_me.data)
            return redirect(next_page or url_for("main.index"))
    return render_template("auth/login.html", form=form, next_page=next_page)


# Code guesses share one budget per account, here and in the settings.
two_factor_limit = limiter.shared_limit(
    two_factor_limits,
    scope="two-factor",
    key_func=pending_account_key,
    methods=["POST"],
)


@bp.route("/2fa", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
@two_factor_limit
def two_factor() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    user = pending_login.user()
    if user is None:
        pending_login.clear()
        flash(_("Please log in with your password first."), "info")
        return redirect(url_for("auth.login"))
    form = TwoFactorLoginForm()
    recovery = request.args.get("with") == "recovery"
    if recovery:
        form.for_recovery_code()
    if form.validate_on_submit():
        if second_factor.verify(user, form.code.data):
            remember, next_page = pending_login.remember(), pending_login.next_page()
            log_in(user, remember=remember)
            return redirect(safe_next(next_page) or url_for("main.index"))
        form.code.errors.append(second_factor.WRONG_CODE)
    return render_template("auth/two_factor.html", form=form, recovery=recovery)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    # CSRFProtect has already checked the token: a cross-site form cannot log
    # anyone out.
    end_browser_session()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("main.index"))


@bp.get("/confirm/<token>")
def confirm(token: str) -> ResponseReturnValue:
    try:
        _user, outcome = accounts.confirm_email(token)
    except InvalidToken as exc:
        return link_invalid(exc.message, "confirm")
    message, category = CONFIRM_MESSAGES[outcome]
    flash(str(message), category)
    return redirect(url_for("main.index"))


@bp.post("/resend_confirmation")
@login_required
@limiter.limit(email_limits)
@limiter.limit(email_limits, key_func=current_address_key)
def resend_confirmation() -> ResponseReturnValue:
    form = EmptyForm()
    if form.validate_on_submit() and accounts.resend_confirmation(current_user):
        flash(
            _(
                "We sent a new confirmation link to %(email)s.",
                email=current_user.email,
            ),
            "info",
        )
    elif current_user.email_confirmed:
        flash(str(ALREADY_CONFIRMED), "info")
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))


@bp.route("/reset_password_request", methods=["GET", "POST"])
@limiter.limit(email_limits, methods=["POST"])
@limiter.limit(email_limits, key_func=address_key, methods=["POST"])
def reset_password_request() -> ResponseReturnValue:
    form = ResetPasswordRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        flash(str(RESET_SENT), "info")
        return redirect(url_for("auth.reset_password_request"))
    return render_template("auth/reset_password_request.html", form=form)


@bp.route("/reset_password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except InvalidToken as exc:
            return link_invalid(exc.message, "reset")
        except DomainError as exc:
            form[exc.field or "password"].errors.append(str(exc))
        else:
            # Every session of the account has ended, this browser's too.
            end_browser_session()
            flash(
                _("Your password has been reset. Log in with the new one."), "success"
            )
            return redirect(url_for("auth.login"))
    else:
        try:
            accounts.check_reset_token(token)
        except InvalidToken as exc:
            return link_invalid(exc.message, "reset")
    return render_template("auth/reset_password.html", form=form)


def link_invalid(message: str, kind: str) -> ResponseReturnValue:
    return render_template("auth/link_invalid.html", message=message, kind=kind), 400
