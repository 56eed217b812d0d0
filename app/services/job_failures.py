"""Jobs that failed for good: recorded by app.jobs, shown on /admin, pruned.

A job's retries are bounded (app.jobs), so a job that can never succeed ends
here once instead of running forever. Rows older than JOB_FAILURES_KEEP_DAYS
are deleted every night by a periodic job, which bounds the table however
often jobs fail.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from huey import crontab

from app.db_types import utcnow
from app.extensions import db
from app.job_models import ARGS_MAX, ERROR_MAX, JobFailure
from app.jobs import jobs


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record(task_id: str, name: str, exc: BaseException, args: str) -> JobFailure:
    """Store one failure in its own transaction (called from a fresh context)."""
    failure = JobFailure(
        task_id=clip(task_id, 64),
        name=clip(name, 200),
        error=clip(f"{type(exc).__name__}: {exc}", ERROR_MAX),
        args=clip(args, ARGS_MAX),
    )
    db.session.add(failure)
    db.session.commit()
    return failure


def recent(limit: int = 10) -> list[JobFailure]:
    """The newest failures first."""
    query = sa.select(JobFailure).order_by(JobFailure.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count(JobFailure.id))) or 0


def prune(days: int | None = None) -> int:
    """Delete failures older than ``days`` (default JOB_FAILURES_KEEP_DAYS)."""
    keep = days if days is not None else current_app.config["JOB_FAILURES_KEEP_DAYS"]
    cutoff = utcnow() - timedelta(days=keep)
    deleted = db.session.execute(
        sa.delete(JobFailure).where(JobFailure.failed_at < cutoff)
    )
    db.session.commit()
    return int(getattr(deleted, "rowcount", 0) or 0)


@jobs.periodic(crontab(minute="23", hour="3"), name="jobs.prune_failures")
def prune_failures() -> int:
    return prune()
