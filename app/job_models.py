"""The record of background jobs that failed for good (app.jobs)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import Model

ERROR_MAX = 2000
ARGS_MAX = 500


class JobFailure(Model):
    """One job run whose retries were all spent, for /admin to show."""

    __tablename__ = "job_failures"
    __table_args__ = (
        # Newest first on /admin, and the periodic prune by age.
        sa.Index("ix_job_failures_failed_at", "failed_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    # The exception's class and message, cut to ERROR_MAX characters.
    error: Mapped[str] = mapped_column(sa.String(ERROR_MAX))
    # The job's own summary of its arguments, never their raw values.
    args: Mapped[str] = mapped_column(sa.String(ARGS_MAX), default="")
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
