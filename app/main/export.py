"""/settings/export: start a data export, follow it, download the zip."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.db_types import utcnow
from app.export_models import Export
from app.forms import EmptyForm
from app.main.routes import bp
from app.services import DomainError, exports
from app.web.security import external_url


@bp.route("/settings/export", methods=["GET", "POST"])
@login_required
def settings_export() -> ResponseReturnValue:
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            exports.start(current_user, external_url("main.settings_export"))
        except DomainError as exc:
            flash(str(exc), "warning")
        else:
            flash(
                _("Your export has started. We will tell you when it is ready."),
                "success",
            )
        return redirect(url_for("main.settings_export"))
    items = exports.of(current_user)
    return render_template(
        "main/settings_export.html",
        form=form,
        exports=items,
        running=any(item.unfinished for item in items),
        keep_days=exports.KEEP.days,
        now=utcnow(),
    )


def _owned_or_404(public_id: str) -> Export:
    export = exports.get_owned(current_user, public_id)
    if export is None:
        abort(404, _gone())
    return export


def _gone() -> str:
    # The same words whether the export never existed, is someone else's or
    # has expired: a guessed id learns nothing.
    return _(
        "This export is not available. Exports are kept for %(days)d days: "
        "start a new one from Settings, Export your data.",
        days=exports.KEEP.days,
    )


@bp.get("/settings/export/<public_id>/progress")
@login_required
def settings_export_progress(public_id: str) -> ResponseReturnValue:
    """The export's state, polled by static/js/export.js while it runs."""
    export = _owned_or_404(public_id)
    return jsonify(
        status=export.status,
        done=export.done,
        total=export.total,
        percent=export.percent,
    )


@bp.get("/settings/export/<public_id>/download")
@login_required
def settings_export_download(public_id: str) -> ResponseReturnValue:
    export = _owned_or_404(public_id)
    path = exports.download_path(export)
    if path is None:
        abort(404, _gone())
    name = f"wren-export-{current_user.username}-{export.created_at:%Y-%m-%d}.zip"
    response = send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=name,
        conditional=False,
        max_age=0,
    )
    # Usernames are ASCII letters, digits and "_": safe inside the quotes.
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
