"""`flask jobs worker` as a real process: it delivers mail queued by another
process, and SIGTERM (by PID, as systemd sends it) stops it cleanly after
the job it is running."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.services import mail
from tests.servers import JobWorker, free_port, wait_until
from tests.test_mail import Inbox

pytestmark = pytest.mark.slow


def worker_env(app_env: dict[str, str], **extra: str) -> dict[str, str]:
    """The test app's database and instance folder (so its SQLite queue)."""
    keys = ("WREN_CONFIG", "WREN_INSTANCE_PATH", "DATABASE_URL", "SECRET_KEY")
    return {**{k: app_env[k] for k in keys}, "JOBS_IMMEDIATE": "false", **extra}


def test_worker_delivers_mail_queued_elsewhere_and_stops_on_sigterm(
    make_app, app_env, make_user, tmp_path
):
    folder = tmp_path / "mail"
    settings = {"MAIL_BACKEND": "file", "MAIL_FILE_PATH": str(folder)}
    web = make_app(JOBS_IMMEDIATE="false", **settings)
    user = make_user("john", email="john@example.com")
    with JobWorker(worker_env(app_env, **settings)) as worker:
        with web.test_request_context():
            mail.send_password_reset(user)
        wait_until(lambda: list(folder.glob("*")), what="the mail file")
        os.kill(worker.pid, signal.SIGTERM)
        assert worker.wait() == 0
        assert "Job worker stopped." in worker.log_text()
    (sent,) = folder.iterdir()
    text = sent.read_text()
    assert "To: john@example.com" in text
    assert "Subject: [Wren] Reset your password" in text
    assert "/auth/reset_password/" in text


class SlowInbox(Inbox):
    """Answers RCPT TO after a pause, telling the test it has started."""

    def __init__(self) -> None:
        super().__init__()
        self.talking = threading.Event()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.talking.set()
        await asyncio.sleep(2)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_sigterm_lets_the_running_delivery_finish(make_app, app_env, make_user):
    """Huey's own SIGTERM stops at once and would drop this mail mid-way."""
    inbox = SlowInbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    settings = {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
    }
    try:
        web = make_app(JOBS_IMMEDIATE="false", **settings)
        user = make_user("john", email="john@example.com")
        with JobWorker(worker_env(app_env, **settings)) as worker:
            with web.test_request_context():
                mail.send_password_changed(user)
            wait_until(inbox.talking.is_set, what="the SMTP conversation")
            os.kill(worker.pid, signal.SIGTERM)
            assert worker.wait() == 0
        ((_, recipients, message),) = inbox.messages
        assert recipients == ["john@example.com"]
        assert message["Subject"] == "[Wren] Your password was changed"
    finally:
        smtp.stop()


def test_worker_refuses_immediate_mode(app_env):
    env = {**worker_env(app_env), "JOBS_IMMEDIATE": "true"}
    from tests.servers import BIN, ROOT, base_env

    result = subprocess.run(
        [str(BIN / "flask"), "--app", "run.py", "jobs", "worker"],
        cwd=ROOT,
        env=base_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "JOBS_IMMEDIATE is on" in result.stderr


@pytest.mark.parametrize(
    ("flags", "periodic"), [([], True), (["--no-periodic"], False)]
)
def test_worker_options_reach_the_consumer(make_app, monkeypatch, flags, periodic):
    app = make_app(JOBS_IMMEDIATE="false")
    started: list[Any] = []
    monkeypatch.setattr("app.cli.run_until_stopped", started.append)
    result = app.test_cli_runner().invoke(
        args=["jobs", "worker", "--workers", "3", *flags]
    )
    assert result.exit_code == 0, result.output
    (consumer,) = started
    assert consumer.workers == 3
    assert consumer.periodic is periodic
