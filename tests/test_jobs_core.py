"""The job machinery (app/jobs.py): immediate mode, a real SQLite queue, backoff."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.extensions import db
from app.jobs import jobs
from app.models import User

seen: list[tuple[str, int]] = []
attempts: list[int] = []


@jobs.task(name="tests.count_users")
def count_users(label: str) -> None:
    # A fresh app context of its own: it sees only committed rows.
    seen.append((label, db.session.scalar(sa.select(sa.func.count(User.id))) or 0))


@jobs.task(retries=3, retry_delay=10, name="tests.always_fails")
def always_fails() -> None:
    attempts.append(1)
    raise OSError("down")


def test_immediate_mode_runs_the_job_at_once(app, make_user) -> None:
    seen.clear()
    make_user("alice")
    with app.test_request_context():
        count_users.enqueue("now")
    assert seen == [("now", 1)]


def test_sqlite_queue_keeps_the_job_for_the_worker(make_app, tmp_path) -> None:
    seen.clear()
    application = make_app(JOBS_IMMEDIATE="false")
    huey = application.extensions["jobs"].huey
    assert huey.storage.filename == str(tmp_path / "instance" / "jobs.sqlite")
    with application.app_context():
        count_users.enqueue("later")
    assert seen == []
    assert huey.pending_count() == 1
    huey.execute(huey.dequeue())
    assert seen == [("later", 0)]


def test_a_failing_job_waits_twice_as_long_each_time(make_app) -> None:
    attempts.clear()
    application = make_app(JOBS_IMMEDIATE="false")
    huey = application.extensions["jobs"].huey
    with application.app_context():
        always_fails.enqueue()
    task = huey.dequeue()
    waits = []
    for _ in range(4):
        before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        # As the worker would, once the retry's time has come.
        huey.execute(task, timestamp=task.eta or before)
        scheduled = huey.scheduled()
        if not scheduled:
            break
        (task,) = scheduled
        waits.append(round((task.eta - before).total_seconds()))
        huey.storage.flush_schedule()
    assert len(attempts) == 4  # the first try and three retries
    assert waits == [10, 20, 40]
