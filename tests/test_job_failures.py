"""Jobs that fail for good: bounded retries, a log line, a row in
job_failures with no secrets, /admin for moderators and admins, pruning."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.db_types import utcnow
from app.extensions import db
from app.job_models import JobFailure
from app.jobs import jobs
from app.services import job_failures
from tests.conftest import AuthActions
from tests.moderation_helpers import set_role
from tests.servers import free_port

SECRET = "s3cret-reset-token-value"
runs: list[str] = []


@jobs.task(retries=2, retry_delay=10, name="tests.fails_forever")
def fails_forever(user_id: int, token: str) -> None:
    runs.append(token)
    raise RuntimeError("the far end said no")


def drain(huey, limit: int = 20) -> int:
    """Run queued and scheduled tasks as the worker would, each at its time;
    how many runs it took. Fails if the job keeps coming back."""
    executed = 0
    while executed < limit:
        task = huey.dequeue()
        if task is None:
            scheduled = huey.scheduled()
            if not scheduled:
                return executed
            (task,) = scheduled
            huey.storage.flush_schedule()
        huey.execute(task, timestamp=task.eta)
        executed += 1
    raise AssertionError(f"still retrying after {limit} runs")


def failures(app) -> list[JobFailure]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(JobFailure).order_by(JobFailure.id)))
        db.session.expunge_all()
        return rows


def test_a_job_that_always_fails_stops_and_is_recorded(make_app, caplog):
    runs.clear()
    app = make_app(JOBS_IMMEDIATE="false")
    huey = app.extensions["jobs"].huey
    with app.app_context():
        task_id = fails_forever.enqueue(42, SECRET)

    assert drain(huey) == 3  # the first try and two retries, then no more
    assert runs == [SECRET] * 3
    (row,) = failures(app)
    assert row.task_id == task_id
    assert row.name == "tests.fails_forever"
    assert row.error == "RuntimeError: the far end said no"
    assert row.args == "(42, str)"  # the id, and no token
    assert SECRET not in row.args
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(task_id in m and "tests.fails_forever" in m for m in logged)


def test_mail_that_never_gets_through_is_recorded_without_its_body(make_app, make_user):
    app = make_app(
        JOBS_IMMEDIATE="false",
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(free_port()),  # nothing listens
        MAIL_RETRIES="2",
        MAIL_RETRY_DELAY="1",
    )
    make_user("john", email="john@example.com")
    AuthActions(app.test_client()).post_form(
        "/auth/reset_password_request", {"email": "john@example.com"}
    )
    assert drain(app.extensions["jobs"].huey) == 3
    (row,) = failures(app)
    assert row.name == "mail.deliver"
    assert row.error.startswith("DeliveryFailed: ConnectionRefusedError")
    assert row.args == (
        "reset_password mail to …@example.com: [Wren] Reset your password"
    )  # no token, no body, no address (moderators do not see addresses)


flaky_runs: list[int] = []


@jobs.task(retries=3, retry_delay=1, name="tests.flaky")
def flaky() -> None:
    flaky_runs.append(1)
    if len(flaky_runs) % 2:
        raise OSError("once")


def test_a_retry_that_succeeds_records_nothing(make_app):
    flaky_runs.clear()
    app = make_app(JOBS_IMMEDIATE="false")
    huey = app.extensions["jobs"].huey
    with app.app_context():
        flaky.enqueue()
    assert drain(huey) == 2
    assert failures(app) == []


def test_errors_are_cut_to_size(app):
    with app.app_context():
        job_failures.record("t" * 100, "n" * 300, ValueError("x" * 5000), "a" * 900)
    (row,) = failures(app)
    assert (len(row.task_id), len(row.name), len(row.error), len(row.args)) == (
        64,
        200,
        2000,
        500,
    )


def add_failure(app, name: str, age: timedelta = timedelta(0)) -> None:
    with app.app_context():
        db.session.add(
            JobFailure(
                task_id="abc123",
                name=name,
                error="OSError: down",
                args="reset_password mail to …@example.com: [Wren] Reset",
                failed_at=utcnow() - age,
            )
        )
        db.session.commit()


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_admin_dashboard_shows_the_newest_failures(app, client, make_user, role):
    make_user("mod")
    set_role(app, "mod", role)
    for n in range(7):
        add_failure(app, f"job.number{n}")
    AuthActions(client).login("mod")
    page = client.get("/admin").get_data(as_text=True)
    assert "Failed jobs" in page
    assert "job.number6" in page
    assert "job.number2" in page
    assert "job.number1" not in page  # the five newest only
    assert "OSError: down" in page
    assert "abc123" in page
    full = client.get("/admin/jobs").get_data(as_text=True)
    assert all(f"job.number{n}" in full for n in range(7))


def test_no_failures_says_so(app, client, make_user):
    make_user("mod", role="moderator")
    AuthActions(client).login("mod")
    assert "No job has failed." in client.get("/admin").get_data(as_text=True)


def test_users_and_visitors_cannot_see_failures(app, client, make_user):
    add_failure(app, "job.secret")
    assert client.get("/admin/jobs").status_code == 302  # to the login page
    make_user("john")
    AuthActions(client).login("john")
    for path in ("/admin", "/admin/jobs"):
        response = client.get(path)
        assert response.status_code == 403
        assert "job.secret" not in response.get_data(as_text=True)


def test_old_failures_are_pruned_by_the_periodic_job(app):
    add_failure(app, "job.old", timedelta(days=31))
    add_failure(app, "job.recent", timedelta(days=29))
    with app.app_context():
        assert job_failures.prune_failures() == 1
    assert [row.name for row in failures(app)] == ["job.recent"]
    assert jobs.declared["jobs.prune_failures"].schedule is not None


def test_a_failing_job_in_immediate_mode_is_recorded_once_spent(app):
    """Tests run jobs at once: a job without retries that fails is recorded
    there too, and the caller carries on."""
    with app.test_request_context():
        always_fails_now.enqueue("x")
    (row,) = failures(app)
    assert row.name == "tests.always_fails_now"
    assert row.args == "(str)"


@jobs.task(name="tests.always_fails_now")
def always_fails_now(label: str) -> None:
    raise ValueError("nope")


class Refusing:
    """An SMTP server that refuses every recipient, quoting the address."""

    async def handle_RCPT(self, server, session, envelope, address, options):
        return f"550 5.1.1 <{address}>: no such mailbox"


def test_a_refused_address_is_not_shown_to_moderators(make_app, make_user):
    smtp = Controller(Refusing(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        app = make_app(
            JOBS_IMMEDIATE="false",
            MAIL_BACKEND="smtp",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(smtp.port),
            MAIL_RETRIES="0",
        )
        make_user("john", email="john@example.com")
        AuthActions(app.test_client()).post_form(
            "/auth/reset_password_request", {"email": "john@example.com"}
        )
        assert drain(app.extensions["jobs"].huey) == 1
    finally:
        smtp.stop()
    (row,) = failures(app)
    assert "SMTPRecipientsRefused" in row.error
    assert "no such mailbox" in row.error
    assert "…@example.com" in row.error
    assert "john@" not in row.error + row.args
