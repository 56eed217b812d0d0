"""Settings: turn two-factor authentication on and off, new recovery codes.

One URL, several small forms; the hidden ``action`` field says which one
was sent. The recovery codes are rendered in the answer to the POST that
made them and nowhere else, so they are shown once.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.auth.forms import (
    TwoFactorCancelForm,
    TwoFactorConfirmForm,
    TwoFactorDisableForm,
    TwoFactorRegenerateForm,
    TwoFactorStartForm,
)
from app.extensions import limiter
from app.main.routes import bp
from app.services import DomainError, two_factor
from app.web.ratelimits import (
    current_user_key,
    login_account_limits,
    two_factor_limits,
)

# Forms on this page that check no code and no password: starting or
# cancelling the set-up spends nothing from the budgets below.
_UNCHECKED_ACTIONS = frozenset({"start", "cancel"})


def _checks_nothing() -> bool:
    return request.form.get("action") in _UNCHECKED_ACTIONS


# The same per-account budgets as the login's second step and the other
# settings forms that check a password (scope and key).
settings_code_limit = limiter.shared_limit(
    two_factor_limits,
    scope="two-factor",
    key_func=current_user_key,
    methods=["POST"],
    exempt_when=_checks_nothing,
)
password_limit = limiter.shared_limit(
    login_account_limits,
    scope="settings-password-check",
    key_func=current_user_key,
    methods=["POST"],
    exempt_when=_checks_nothing,
)


@bp.route("/settings/2fa", methods=["GET", "POST"])
@login_required
@password_limit
@settings_code_limit
def settings_two_factor() -> ResponseReturnValue:
    action = request.form.get("action") if request.method == "POST" else None
    forms: dict[str, FlaskForm] = {
        "start": TwoFactorStartForm(formdata=None),
        "cancel": TwoFactorCancelForm(formdata=None),
        "confirm": TwoFactorConfirmForm(formdata=None),
        "regenerate": TwoFactorRegenerateForm(formdata=None),
        "disable": TwoFactorDisableForm(formdata=None),
    }
    if action in forms:
        # Only the form that was sent reads the request (and its CSRF token).
        form = forms[action] = type(forms[action])()
        if form.validate_on_submit():
            try:
                return _act(action, form)
            except DomainError as exc:
                if exc.field is None or exc.field not in form:
                    # E.g. "start" from a stale page while 2FA is already on.
                    flash(str(exc), "warning")
                    return redirect(url_for("main.settings_two_factor"))
                form[exc.field].errors.append(str(exc))
    elif request.method == "POST":
        flash(_("That form is not known here. Please try again."), "warning")
        return redirect(url_for("main.settings_two_factor"))
    return _page(forms)


def _act(action: str, form: FlaskForm) -> ResponseReturnValue:
    user = current_user
    if action == "start":
        two_factor.begin_setup(user)
    elif action == "cancel":
        two_factor.cancel_setup(user)
    elif action == "confirm":
        codes = two_factor.enable(user, form.code.data)
        flash(_("Two-factor authentication is on."), "success")
        return _codes_page(codes)
    elif action == "regenerate":
        codes = two_factor.regenerate_recovery_codes(user, form.code.data)
        flash(_("New recovery codes made; the old ones no longer work."), "success")
        return _codes_page(codes)
    elif action == "disable":
        two_factor.disable(user, form.password.data, form.code.data)
        flash(_("Two-factor authentication is off."), "info")
    return redirect(url_for("main.settings_two_factor"))


def _codes_page(codes: list[str]) -> ResponseReturnValue:
    return render_template("main/settings_2fa_codes.html", codes=codes)


def _page(forms: dict[str, FlaskForm]) -> ResponseReturnValue:
    user = current_user
    secret = two_factor.pending_secret(user)
    setup = None
    if secret is not None:
        setup = {
            "qr": two_factor.qr_svg(two_factor.provisioning_uri(user, secret)),
            "secret": two_factor.format_secret(secret),
        }
    return render_template(
        "main/settings_2fa.html",
        enabled=two_factor.is_enabled(user),
        setup=setup,
        codes_left=two_factor.recovery_codes_left(user),
        forms=forms,
    )
