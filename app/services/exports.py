"""Data exports: start one, build it in a job, download it, let it expire.

An export is a row (app/export_models.py) and, once ready, a zip under
instance/exports/ named by the row's random ``file_name``. The database
allows one unfinished export per account (a partial unique index), and
``start`` caps how many an account may ask for in a day. A ready export is
kept for ``KEEP``; the hourly ``expire_exports`` job removes it, fails
exports whose worker died, and removes files that no row names any more
(an account deleted while its export was being written).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from huey import crontab

from app import i18n
from app.database import insert_or_ignore
from app.db_types import utcnow
from app.export_models import Export
from app.extensions import db
from app.jobs import jobs
from app.models import Notification, User, table_of
from app.services import export_archive, mail
from app.services.errors import DomainError

KEEP = timedelta(days=7)
PER_DAY = 5
# A job that has not finished in this long has lost its worker.
STALE_AFTER = timedelta(hours=1)
PART = ".part"

_EXPORTS = table_of(Export)
_NOTIFICATIONS = table_of(Notification)


def export_dir() -> Path:
    return Path(current_app.instance_path) / "exports"


def file_path(export: Export) -> Path:
    return export_dir() / export.file_name


def of(user: User) -> list[Export]:
    """The account's exports, newest first (at most PER_DAY * 7 or so)."""
    return list(
        db.session.scalars(
            sa.select(Export)
            .where(Export.user_id == user.id)
            .order_by(Export.created_at.desc(), Export.id.desc())
        )
    )


def get_owned(user: User, public_id: str) -> Export | None:
    """The export ``public_id`` if it is ``user``'s; None for anyone else's."""
    return db.session.scalar(
        sa.select(Export).where(
            Export.public_id == public_id, Export.user_id == user.id
        )
    )


def download_path(export: Export, now: datetime | None = None) -> Path | None:
    """The ready zip of ``export``, or None if it is not (or no longer) there."""
    now = now or utcnow()
    expires_at = export.expires_at
    if export.status != "ready" or expires_at is None or expires_at <= now:
        return None
    path = file_path(export)
    return path if path.is_file() else None


def start(user: User, link: str) -> Export:
    """Queue a new export of ``user``'s data and hand it to the job, which
    mails ``link`` (the export page) when it is ready.

    :raises DomainError: when one is already under way, or the account has
        started PER_DAY exports in the last day.
    """
    since = utcnow() - timedelta(days=1)
    started = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(_EXPORTS)
        .where(_EXPORTS.c.user_id == user.id, _EXPORTS.c.created_at > since)
    )
    if (started or 0) >= PER_DAY:
        raise DomainError(
            _(
                "You have started %(count)d exports today. Please try again tomorrow.",
                count=PER_DAY,
            )
        )
    export = Export(user_id=user.id)
    db.session.add(export)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # The partial unique index: another export of this account (perhaps
        # from a second click a moment ago) is still queued or running.
        db.session.rollback()
        raise DomainError(
            _("Your export is already being prepared. It will be ready soon.")
        ) from None
    export_id = export.id
    build_export.enqueue(export_id, link)
    return export


@jobs.task(name="exports.build")
def build_export(export_id: int, link: str) -> None:
    """Write the zip of export ``export_id``, then tell its owner (the mail
    links to ``link``, built by the request from PUBLIC_URL).

    Not retried: a failure marks the export failed and the page offers to
    start again, so a broken export cannot loop.
    """
    export = _claim(export_id)
    if export is None:
        return
    user = db.session.get(User, export.user_id)
    if user is None:  # the account was deleted: the export went with it
        return
    final = file_path(export)
    part = final.with_name(final.name + PART)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        _set(export_id, total=export_archive.item_count(user.id))
        db.session.commit()
        with force_locale(_language(user)):
            export_archive.write_archive(
                part, user.id, lambda done: _advance(export_id, done)
            )
        os.replace(part, final)
        finished = utcnow()
        size = final.stat().st_size
        _set(
            export_id,
            status="ready",
            size=size,
            finished_at=finished,
            expires_at=finished + KEEP,
        )
        _notify_ready(user.id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        part.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        failed = utcnow()
        # Kept (to say so on the page) as long as a ready one would be.
        _set(export_id, status="failed", finished_at=failed, expires_at=failed + KEEP)
        db.session.commit()
        raise  # the job runner logs it with the job's id
    with force_locale(_language(user)):
        expires = format_datetime(finished + KEEP, "medium") + " UTC"
        mail.send_export_ready(user, link, expires, size)


def _language(user: User) -> str:
    return i18n.chosen_language(user) or current_app.config["LANGUAGES"][0]


def _claim(export_id: int) -> Export | None:
    """Move the export from queued to running; None if it was not queued
    (a second delivery of the job, or marked failed as stale meanwhile)."""
    claimed = db.session.execute(
        sa.update(_EXPORTS)
        .where(_EXPORTS.c.id == export_id, _EXPORTS.c.status == "queued")
        .values(status="running", started_at=utcnow())
        .returning(_EXPORTS.c.id)
    ).first()
    db.session.commit()
    if claimed is None:
        return None
    return db.session.get(Export, export_id)


def _set(export_id: int, **values: object) -> None:
    db.session.execute(
        sa.update(_EXPORTS).where(_EXPORTS.c.id == export_id).values(**values)
    )


def _advance(export_id: int, done: int) -> None:
    """Count ``done`` more items written, for the page's progress bar."""
    if done:
        db.session.execute(
            sa.update(_EXPORTS)
            .where(_EXPORTS.c.id == export_id)
            .values(done=_EXPORTS.c.done + done)
        )
        db.session.commit()


def _notify_ready(user_id: int) -> None:
    """One "export" notification per account: (kind, actor, post) is unique,
    so the previous one makes way for the news of this export."""
    db.session.execute(
        sa.delete(_NOTIFICATIONS).where(
            _NOTIFICATIONS.c.recipient_id == user_id,
            _NOTIFICATIONS.c.kind == "export",
        )
    )
    db.session.execute(
        insert_or_ignore(_NOTIFICATIONS),
        {
            "recipient_id": user_id,
            "actor_id": user_id,
            "kind": "export",
            "post_id": None,
            "created_at": utcnow(),
            "read": False,
        },
    )


@jobs.periodic(crontab(minute="17"), name="exports.expire")
def expire_exports() -> None:
    sweep(utcnow())


def sweep(now: datetime) -> None:
    """Remove exports past their expiry (ready or failed), fail those whose
    worker died, and remove files no export names any more."""
    expired = db.session.execute(
        sa.delete(_EXPORTS)
        .where(_EXPORTS.c.expires_at <= now)
        .returning(_EXPORTS.c.file_name)
    ).scalars()
    names = list(expired)
    stale = db.session.execute(
        sa.update(_EXPORTS)
        .where(
            _EXPORTS.c.status.in_(("queued", "running")),
            sa.func.coalesce(_EXPORTS.c.started_at, _EXPORTS.c.created_at)
            <= now - STALE_AFTER,
        )
        .values(status="failed", finished_at=now, expires_at=now + KEEP)
        .returning(_EXPORTS.c.file_name)
    ).scalars()
    # A dead worker's half-written zip goes now; its row says "failed".
    names += list(stale)
    db.session.commit()
    folder = export_dir()
    remove_files(folder / name for name in names)
    remove_files(folder / (name + PART) for name in names)
    _remove_orphans(folder)


def _remove_orphans(folder: Path) -> None:
    """Delete files in ``folder`` whose export row is gone (a deleted account,
    a crash between the row's delete and the file's)."""
    if not folder.is_dir():
        return
    files = [path for path in folder.iterdir() if path.is_file()]
    for start in range(0, len(files), 500):
        batch = files[start : start + 500]
        names = {path.name.removesuffix(PART) for path in batch}
        known = set(
            db.session.scalars(
                sa.select(_EXPORTS.c.file_name).where(_EXPORTS.c.file_name.in_(names))
            )
        )
        remove_files(p for p in batch if p.name.removesuffix(PART) not in known)


def files_of(user_id: int) -> list[Path]:
    """The export files of ``user_id``: read before deleting the account, and
    removed with ``remove_files`` once that is committed."""
    folder = export_dir()
    names = db.session.scalars(
        sa.select(_EXPORTS.c.file_name).where(_EXPORTS.c.user_id == user_id)
    )
    return [path for name in names for path in (folder / name, folder / (name + PART))]


def remove_files(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
