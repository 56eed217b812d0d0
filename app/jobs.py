"""Background jobs on Huey.

Jobs are declared at import time, before any app exists::

    @jobs.task(retries=5, retry_delay=10)
    def send_mail(message: dict) -> None: ...

    send_mail.enqueue(message)        # from a request, after its commit

``jobs.init_app(app)`` builds one Huey for the app's configuration: a SQLite
file in the instance folder by default, Redis when JOBS_REDIS_URL (or
REDIS_URL) is set, and immediate mode (each job runs at once, in the caller's
process) when JOBS_IMMEDIATE is on, as in tests. Every declared job is
registered on that Huey wrapped so that it runs in a fresh app context of
its own, as it would in ``flask jobs worker``: enqueue only after the
request's commit, so the job sees the rows it is about.

A job that raises is retried ``retries`` times; the wait doubles each time,
starting from ``retry_delay`` seconds (capped at ``MAX_RETRY_DELAY``). Either
may name a config key instead (``retries="MAIL_RETRIES"``), read when the app
is built, so that tests and operators can change them. A job whose retries
are spent is logged and recorded in ``job_failures`` (app.services.job_failures),
summarised by its ``describe`` function, or by its arguments' types alone so
that no secret an argument carries is stored.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.api import Task, TaskWrapper
from huey.signals import SIGNAL_ERROR

__all__ = ["Job", "Jobs", "MAX_RETRY_DELAY", "jobs"]

P = ParamSpec("P")
R = TypeVar("R")
MAX_RETRY_DELAY = 3600
log = logging.getLogger(__name__)


@dataclass
class Job(Generic[P, R]):
    """A declared job: call it to run it here, ``enqueue`` to hand it over."""

    fn: Callable[P, R]
    name: str
    # A number, or the name of the config key that holds it.
    retries: int | str = 0
    retry_delay: int | str = 0
    # A huey.crontab(...) test for periodic jobs (run by the worker only).
    schedule: Callable[..., bool] | None = None
    # What a failure record shows of the arguments: (args, kwargs) -> text.
    describe: Callable[..., str] | None = None

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def enqueue(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """Queue one run with these (serialisable) arguments; its task id."""
        wrapper: TaskWrapper = current_app.extensions["jobs"].tasks[self.name]
        task = wrapper.s(*args, **kwargs)
        current_app.extensions["jobs"].huey.enqueue(task)
        return str(task.id)


@dataclass
class AppJobs:
    """One app's Huey and its registered tasks, in app.extensions["jobs"]."""

    huey: Huey
    tasks: dict[str, TaskWrapper] = field(default_factory=dict)


class Jobs:
    """The registry of declared jobs, bound to each app by ``init_app``."""

    def __init__(self) -> None:
        self.declared: dict[str, Job[Any, Any]] = {}

    def task(
        self,
        *,
        retries: int | str = 0,
        retry_delay: int | str = 0,
        name: str | None = None,
        describe: Callable[..., str] | None = None,
    ) -> Callable[[Callable[P, R]], Job[P, R]]:
        """Declare a job; ``describe(*args, **kwargs)`` summarises a failed run
        for /admin (never include secrets such as tokens or message bodies)."""

        def declare(fn: Callable[P, R]) -> Job[P, R]:
            job = Job(
                fn,
                name or f"{fn.__module__}.{fn.__name__}",
                retries,
                retry_delay,
                describe=describe,
            )
            self.declared[job.name] = job
            return job

        return declare

    def periodic(
        self, schedule: Callable[..., bool], *, name: str | None = None
    ) -> Callable[[Callable[[], R]], Job[[], R]]:
        """Declare a job the worker runs whenever ``schedule`` (a crontab) says."""

        def declare(fn: Callable[[], R]) -> Job[[], R]:
            job: Job[[], R] = Job(fn, name or f"{fn.__module__}.{fn.__name__}")
            job.schedule = schedule
            self.declared[job.name] = job
            return job

        return declare

    def init_app(self, app: Flask) -> None:
        huey = build_huey(app)
        bound = AppJobs(huey)
        for job in self.declared.values():
            bound.tasks[job.name] = register(app, huey, job)
        app.extensions["jobs"] = bound

        @huey.signal(SIGNAL_ERROR)
        def failed(signal: str, task: Task, exc: Exception) -> None:
            # Huey sends this before it requeues a retry: retries left means
            # another try is coming, none means the job has failed for good.
            if task.retries:
                return
            job = self.declared.get(task.name)
            report_failure(app, job, task, exc)


def build_huey(app: Flask) -> Huey:
    name = "wren"
    if app.config["JOBS_IMMEDIATE"]:
        # Immediate mode keeps its queue and schedule in memory.
        return Huey(name, immediate=True, results=False, utc=True)
    if app.config["JOBS_REDIS_URL"]:
        return RedisHuey(name, url=app.config["JOBS_REDIS_URL"], results=False)
    path = Path(app.config["JOBS_SQLITE_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), results=False)


def setting(app: Flask, value: int | str) -> int:
    """``value``, or the config value it names."""
    return int(app.config[value]) if isinstance(value, str) else value


def summarise(job: Job[Any, Any] | None, task: Task) -> str:
    """The failure record's view of a task's arguments, without secrets."""
    args = task.args
    # Huey adds the task itself to the kwargs of a context=True task.
    kwargs = {k: v for k, v in task.kwargs.items() if k != "task"}
    if job is not None and job.describe is not None:
        try:
            return job.describe(*args, **kwargs)
        except Exception:  # a summary must never hide the failure itself
            log.exception("Could not describe the arguments of %s", task.name)
    # Numbers (ids) are shown; anything else only by its type.
    shown = [repr(a) if isinstance(a, int) else type(a).__name__ for a in args]
    shown += [
        f"{k}={v!r}" if isinstance(v, int) else f"{k}={type(v).__name__}"
        for k, v in kwargs.items()
    ]
    return f"({', '.join(shown)})"


def report_failure(
    app: Flask, job: Job[Any, Any] | None, task: Task, exc: Exception
) -> None:
    """Log a job whose retries are spent and keep a row of it for /admin."""
    from app.services import job_failures

    log.error(
        "Job %s (%s) failed for good: %s: %s",
        task.id,
        task.name,
        type(exc).__name__,
        exc,
    )
    with app.app_context():
        job_failures.record(str(task.id), task.name, exc, summarise(job, task))


def register(app: Flask, huey: Huey, job: Job[Any, Any]) -> TaskWrapper:
    """Put ``job`` on ``huey``, running in an app context with backoff."""
    retries = setting(app, job.retries)
    retry_delay = setting(app, job.retry_delay)

    @functools.wraps(job.fn)
    def run(*args: Any, task: Task | None = None, **kwargs: Any) -> Any:
        with app.app_context():
            try:
                return job.fn(*args, **kwargs)
            except Exception:
                if task is not None and task.retries:
                    # Huey waits task.retry_delay before the next try: double
                    # it for each try already spent.
                    spent = retries - task.retries
                    task.retry_delay = min(retry_delay * 2**spent, MAX_RETRY_DELAY)
                raise

    if job.schedule is not None:
        return huey.periodic_task(job.schedule, name=job.name, context=True)(run)
    return huey.task(
        retries=retries,
        retry_delay=retry_delay,
        name=job.name,
        context=True,
    )(run)


jobs = Jobs()
