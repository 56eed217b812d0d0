"""Data exports: one row per zip a person asked for (app/services/exports.py).

Kept apart from app.models so the export schema reads as one piece;
app.models imports this module, so the table is on the one metadata.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import Model

STATUSES = ("queued", "running", "ready", "failed")
# Written as the partial index's predicate on both databases.
_UNFINISHED = "status IN ('queued', 'running')"


def new_export_public_id() -> str:
    """The id that names an export in URLs: 192 random bits."""
    return secrets.token_urlsafe(24)


def new_export_file_name() -> str:
    """The zip's name under instance/exports/: random, never user text."""
    return f"{secrets.token_hex(16)}.zip"


class Export(Model):
    """One data export: queued, then built by a job, then kept 7 days."""

    __tablename__ = "exports"
    __table_args__ = (
        # One unfinished export per account, enforced by the database: two
        # clicks at once insert one row and the second insert fails.
        sa.Index(
            "uq_exports_unfinished",
            "user_id",
            unique=True,
            sqlite_where=sa.text(_UNFINISHED),
            postgresql_where=sa.text(_UNFINISHED),
        ),
        # The account's exports, newest first; the daily cap counts from it.
        sa.Index("ix_exports_user_id_created_at", "user_id", "created_at"),
        # The periodic sweep reads expired rows from here.
        sa.Index("ix_exports_expires_at", "expires_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        sa.String(32), unique=True, default=new_export_public_id
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    # Items written so far and in all, for the progress bar.
    done: Mapped[int] = mapped_column(default=0, server_default="0")
    total: Mapped[int] = mapped_column(default=0, server_default="0")
    file_name: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_export_file_name
    )
    size: Mapped[int | None] = mapped_column(sa.BigInteger())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the zip is ready; the periodic job removes it after this.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def unfinished(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def percent(self) -> int:
        if self.status == "ready":
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)
