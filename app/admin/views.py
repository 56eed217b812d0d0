"""/admin: open reports, accounts, suspension, approval and the audit log.

Every view is wrapped in ``requires_role("moderator")``; what a moderator
may do to a given account is decided by app.services.moderation.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
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
from flask_babel.speaklater import LazyString
from flask_login import current_user

from app.admin.forms import ResolveForm, SuspendForm
from app.forms import EmptyForm
from app.models import User
from app.pagination import parse_cursor
from app.services import DomainError, accounts, job_failures, moderation
from app.services.errors import Forbidden, NotFound
from app.web.permissions import requires_role
from app.web.security import safe_next

bp = Blueprint("admin", __name__)


@bp.after_request
def no_store(response: Response) -> Response:
    # Reports and accounts are for moderators' eyes only: keep no copy.
    response.cache_control.no_store = True
    return response


def _target(username: str) -> User:
    user = accounts.find_by_username(username)
    if user is None:
        abort(404, _("There is no user called %(name)s.", name=username))
    return user


def _failed(exc: DomainError) -> None:
    if isinstance(exc, Forbidden):
        abort(403, str(exc))
    if isinstance(exc, NotFound):
        abort(404, str(exc))
    flash(str(exc), "danger")


def _back(default: str) -> ResponseReturnValue:
    return redirect(safe_next(request.form.get("back")) or default)


@bp.get("")
@requires_role("moderator")
def dashboard() -> ResponseReturnValue:
    return render_template(
        "admin/dashboard.html",
        reports=moderation.open_reports(limit=10),
        open_count=moderation.open_report_count(),
        pending_count=moderation.pending_count(),
        entries=moderation.audit_entries(limit=10),
        resolve_form=ResolveForm(),
        failures=job_failures.recent(limit=5),
        failure_count=job_failures.count(),
    )


@bp.get("/jobs")
@requires_role("moderator")
def jobs() -> ResponseReturnValue:
    return render_template(
        "admin/jobs.html",
        failures=job_failures.recent(limit=100),
        keep_days=current_app.config["JOB_FAILURES_KEEP_DAYS"],
    )


@bp.get("/reports")
@requires_role("moderator")
def reports() -> ResponseReturnValue:
    return render_template(
        "admin/reports.html",
        reports=moderation.open_reports(),
        resolved=moderation.resolved_reports(limit=20),
        resolve_form=ResolveForm(),
    )


@bp.post("/reports/<int(max=2147483647):report_id>/resolve")
@requires_role("moderator")
def resolve(report_id: int) -> ResponseReturnValue:
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            moderation.resolve_report(
                current_user, report_id, form.action.data, form.note.data or ""
            )
        except DomainError as exc:
            _failed(exc)
        else:
            flash(_("Report %(id)d resolved.", id=report_id), "success")
    else:
        flash(_("Choose an action for the report."), "danger")
    return redirect(url_for("admin.reports"))


@bp.get("/users")
@requires_role("moderator")
def users() -> ResponseReturnValue:
    q = request.args.get("q", "")[:32]
    pending = request.args.get("pending") == "1"
    return render_template(
        "admin/users.html",
        users=moderation.find_users(q, pending),
        q=q,
        pending=pending,
        pending_count=moderation.pending_count(),
        suspend_form=SuspendForm(),
        button_form=EmptyForm(),
        may_act_on=moderation.may_act_on,
    )


def _act_on(
    target: User,
    action: Callable[[], bool],
    done: str | LazyString,
    already: str | LazyString,
) -> None:
    """Run a moderation ``action`` on ``target`` and say what came of it:
    ``done`` if it changed something, ``already`` if it was so already
    (messages with a ``%(name)s`` for the account's name)."""
    try:
        changed = action()
    except DomainError as exc:
        _failed(exc)
    else:
        message = done if changed else already
        flash(
            str(message) % {"name": target.username},
            "success" if changed else "info",
        )


@bp.post("/users/<username>/suspend")
@requires_role("moderator")
def suspend(username: str) -> ResponseReturnValue:
    target = _target(username)
    form = SuspendForm()
    if form.validate_on_submit():
        _act_on(
            target,
            lambda: moderation.suspend(current_user, target, form.reason.data or ""),
            _l("%(name)s is suspended."),
            _l("%(name)s was already suspended."),
        )
    return _back(url_for("admin.users", q=target.username))


@bp.post("/users/<username>/unsuspend")
@requires_role("moderator")
def unsuspend(username: str) -> ResponseReturnValue:
    target = _target(username)
    if EmptyForm().validate_on_submit():
        _act_on(
            target,
            lambda: moderation.unsuspend(current_user, target),
            _l("%(name)s is no longer suspended."),
            _l("%(name)s was not suspended."),
        )
    return _back(url_for("admin.users", q=target.username))


@bp.post("/users/<username>/approve")
@requires_role("moderator")
def approve(username: str) -> ResponseReturnValue:
    target = _target(username)
    if EmptyForm().validate_on_submit():
        _act_on(
            target,
            lambda: moderation.approve(current_user, target),
            _l("%(name)s is approved and can log in."),
            _l("%(name)s was already approved."),
        )
    return _back(url_for("admin.users", pending=1))


@bp.get("/audit")
@requires_role("moderator")
def audit() -> ResponseReturnValue:
    try:
        before = parse_cursor(request.args.get("before"))
    except ValueError:
        abort(404, _l("That page does not exist."))
    entries = moderation.audit_entries(before, moderation.AUDIT_PAGE + 1)
    more = len(entries) > moderation.AUDIT_PAGE
    entries = entries[: moderation.AUDIT_PAGE]
    return render_template(
        "admin/audit.html",
        entries=entries,
        next_before=entries[-1].id if more else None,
    )
