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
starting from ``retry_delay`` seconds (capped at ``MAX_RETRY_DELAY``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.api import Task, TaskWrapper

__all__ = ["Job", "Jobs", "MAX_RETRY_DELAY", "jobs"]

P = ParamSpec("P")
R = TypeVar("R")
MAX_RETRY_DELAY = 3600


@dataclass
class Job(Generic[P, R]):
    """A declared job: call it to run it here, ``enqueue`` to hand it over."""

    fn: Callable[P, R]
    name: str
    retries: int = 0
    retry_delay: int = 0
    # A huey.crontab(...) test for periodic jobs (run by the worker only).
    schedule: Callable[..., bool] | None = None

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
        self, *, retries: int = 0, retry_delay: int = 0, name: str | None = None
    ) -> Callable[[Callable[P, R]], Job[P, R]]:
        def declare(fn: Callable[P, R]) -> Job[P, R]:
            job = Job(
                fn, name or f"{fn.__module__}.{fn.__name__}", retries, retry_delay
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


def register(app: Flask, huey: Huey, job: Job[Any, Any]) -> TaskWrapper:
    """Put ``job`` on ``huey``, running in an app context with backoff."""

    @functools.wraps(job.fn)
    def run(*args: Any, task: Task | None = None, **kwargs: Any) -> Any:
        with app.app_context():
            try:
                return job.fn(*args, **kwargs)
            except Exception:
                if task is not None and task.retries:
                    # Huey waits task.retry_delay before the next try: double
                    # it for each try already spent.
                    spent = job.retries - task.retries
                    task.retry_delay = min(job.retry_delay * 2**spent, MAX_RETRY_DELAY)
                raise

    if job.schedule is not None:
        return huey.periodic_task(job.schedule, name=job.name, context=True)(run)
    return huey.task(
        retries=job.retries,
        retry_delay=job.retry_delay,
        name=job.name,
        context=True,
    )(run)


jobs = Jobs()
