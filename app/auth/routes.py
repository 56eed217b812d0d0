"""Register, log in and log out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from app.auth.forms import LoginForm, RegistrationForm
from app.extensions import limiter
from app.ratelimits import login_limits, register_limits
from app.security import safe_next
from app.services import DomainError, accounts
from app.services.tokens import InvalidToken

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "Invalid username or password."
CHECK_INBOX = (
    "Thanks for registering! We sent you an email: follow its link to confirm "
    "your address, then log in."
)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(register_limits, methods=["POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            accounts.register(form.username.data, form.email.data, form.password.data)
        except DomainError as exc:
            form[exc.field or "username"].errors.append(str(exc))
        else:
            flash(CHECK_INBOX, "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limits, methods=["POST"])
def login() -> ResponseReturnValue:
    next_page = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(LOGIN_FAILED)
        else:
            # A fresh session at login: nothing planted before survives.
            session.clear()
            login_user(user, remember=form.remember_me.data)
            return redirect(next_page or url_for("main.index"))
    return render_template("auth/login.html", form=form, next_page=next_page)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    # CSRFProtect has already checked the token: a cross-site form cannot log
    # anyone out.
    logout_user()
    session.clear()
    flash("You have been logged out.", "info")
    return redirect(url_for("main.index"))


@bp.get("/confirm/<token>")
def confirm(token: str) -> ResponseReturnValue:
    try:
        accounts.confirm_email(token)
    except InvalidToken as exc:
        flash(exc.message, "danger")
    else:
        flash("Thank you: your email address is confirmed.", "success")
    return redirect(url_for("main.index"))
