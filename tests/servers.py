"""Real servers for tests: gunicorn running Wren, PostgreSQL and redis-server.

Each one listens on a free 127.0.0.1 port, is started by the test that needs it
and is stopped by PID when the ``with`` block ends (and at interpreter exit, as
a last resort), so no test leaves a process behind.

    with PostgresCluster() as pg, LiveServer({"DATABASE_URL": pg.url}) as srv:
        requests_to(srv.url + "/healthz")
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest
import requests

from tests.conftest import CSRF_RE

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_SCRIPT = ROOT / "scripts" / "pg.sh"
# Only these variables reach a server: the rest of the test process's
# environment (WREN_*, DATABASE_URL set by fixtures) must not leak into it.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "SYSTEMROOT")

_running: set[subprocess.Popen[bytes]] = set()


def _stop_process(
    proc: subprocess.Popen[bytes],
    grace: float = 10.0,
    sig: signal.Signals = signal.SIGTERM,
) -> None:
    """``sig``, then SIGKILL to the process group the helper created."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    _running.discard(proc)


@atexit.register
def _stop_leftovers() -> None:
    for proc in list(_running):
        _stop_process(proc, grace=5.0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(env: dict[str, str] | None = None) -> dict[str, str]:
    clean = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
    clean["PATH"] = f"{BIN}{os.pathsep}{clean.get('PATH', '/usr/bin:/bin')}"
    clean["PYTHONUNBUFFERED"] = "1"
    clean.update(env or {})
    return clean


def wait_for(
    url: str, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll ``url`` until it answers 200; fail early if ``proc`` dies."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout} s")
        time.sleep(0.1)


def flask_cli(
    env: dict[str, str], *args: str, timeout: float = 300, cwd: Path = ROOT
) -> str:
    """Run ``flask <args>`` for run.py with ``env`` (plus the server defaults).

    ``cwd`` is the Wren tree whose run.py it runs: this one unless a caller
    serves another (the benchmark's ``--app-dir``).
    """
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "run.py", *args],
        cwd=cwd,
        env=base_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


class LiveServer:
    """``gunicorn -c gunicorn.conf.py <app>`` on a free port with ``env``.

    Defaults: testing config, a random SECRET_KEY, a private instance folder
    and cheap password hashing; ``env`` overrides any of them. The schema is
    not created here: run ``flask_cli(env, "db", "upgrade")`` first.
    ``app_dir`` is the tree gunicorn runs in (its gunicorn.conf.py and app):
    this one unless a caller serves another (the benchmark's ``--app-dir``).
    """

    def __init__(
        self,
        env: dict[str, str],
        workers: int = 2,
        app: str = "run:app",
        ready_path: str = "/healthz",
        app_dir: Path = ROOT,
    ) -> None:
        self.app = app
        self.ready_path = ready_path
        self.app_dir = app_dir
        self._tmp = Path(tempfile.mkdtemp(prefix="wren-live-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "WREN_CONFIG": "testing",
            "SECRET_KEY": secrets.token_hex(16),
            "WREN_INSTANCE_PATH": str(self._tmp / "instance"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "AVATAR_PROVIDER": "local",
            **env,
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
        }
        self._log_path = self._tmp / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._final_log: str | None = None

    def start(self, timeout: float = 60.0) -> Self:
        log = self._log_path.open("ab")
        try:
            self._proc = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", self.app],
                cwd=self.app_dir,
                env=base_env(self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        _running.add(self._proc)
        try:
            wait_for(self.url + self.ready_path, timeout, self._proc)
        except BaseException as exc:
            # Ctrl-C or SystemExit (a SIGTERM handler) too: no ``with`` block
            # has been entered yet to stop the server.
            self.close()
            if not isinstance(exc, Exception):
                raise
            raise RuntimeError(f"{exc}\n--- server log ---\n{self.log_text()}") from exc
        return self

    @property
    def pid(self) -> int:
        assert self._proc is not None, "server not started"
        return self._proc.pid

    def worker_pids(self) -> list[int]:
        """PIDs of the master's children (gunicorn workers), read from /proc."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # The command name may hold spaces; fields after it are fixed.
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def rss_mb(self) -> list[float]:
        """Resident memory of each worker in MiB, from /proc (VmRSS)."""
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmRSS:\s+(\d+)", status, re.M)
            if match:
                sizes.append(round(int(match.group(1)) / 1024, 1))
        return sizes

    def stop(self) -> None:
        if self._proc is not None:
            # SIGINT is gunicorn's quick shutdown: a test has no requests in
            # flight to wait for, and graceful SIGTERM takes seconds per server.
            _stop_process(self._proc, sig=signal.SIGINT)

    def log_text(self) -> str:
        if self._final_log is not None:
            return self._final_log
        try:
            return self._log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def served_log(self) -> str:
        """The log up to the quick shutdown: everything that answered the test.

        SIGINT can catch a worker still returning from the send of a reply
        its client already has; gunicorn then logs that request again, as a
        500 with a SystemExit traceback, after "Handling signal".
        """
        return self.log_text().split("Handling signal:", 1)[0]

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server and delete its folder; the log stays readable."""
        self.stop()
        if self._final_log is None:
            self._final_log = self.log_text()
        shutil.rmtree(self._tmp, ignore_errors=True)


def postgres_available(script: Path = PG_SCRIPT) -> bool:
    """Whether ``script`` (scripts/pg.sh) finds the PostgreSQL binaries."""
    return (
        subprocess.run(
            ["bash", str(script), "available"], capture_output=True, check=False
        ).returncode
        == 0
    )


def own_cluster_marks() -> list[pytest.MarkDecorator]:
    """Marks for a module whose tests start their own PostgreSQL cluster.

    They need the binaries, and run once per ``make test``: in the SQLite pass.
    """
    from tests.conftest import SHARED_DB

    return [
        pytest.mark.slow,
        pytest.mark.skipif(
            bool(SHARED_DB), reason="starts its own cluster; runs in the SQLite pass"
        ),
        pytest.mark.skipif(
            not postgres_available(), reason="PostgreSQL binaries are not installed"
        ),
    ]


class PostgresCluster:
    """A throwaway cluster from scripts/pg.sh; ``.url`` names database wren.

    ``stop()`` and ``start()`` take the server down and back up on the same
    port with the same data, for outage tests; leaving the block deletes it.
    ``script`` is the pg.sh to run: this tree's unless a caller names another.
    """

    def __init__(self, script: Path = PG_SCRIPT) -> None:
        self.script = script
        self.dir = Path(tempfile.mkdtemp(prefix="wren-pg-"))
        self.url = ""

    def _pg(self, command: str, *args: str) -> str:
        result = subprocess.run(
            ["bash", str(self.script), command, str(self.dir), *args],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"pg.sh {command} failed: {result.stderr}")
        return result.stdout.strip()

    def start(self) -> Self:
        self.url = self._pg("start")
        return self

    def stop(self) -> None:
        self._pg("stop")

    def destroy(self) -> None:
        self._pg("destroy")

    def createdb(self, name: str) -> str:
        """Add an empty database ``name`` to the running cluster; its URL."""
        return self._pg("createdb", name)

    def __enter__(self) -> Self:
        _clusters.add(self)
        try:
            return self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _clusters.discard(self)
        self.destroy()


_clusters: set[PostgresCluster] = set()


@atexit.register
def _destroy_leftover_clusters() -> None:
    for cluster in list(_clusters):
        cluster.destroy()


class RedisServer:
    """``redis-server`` on a free port, without persistence; ``.url``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = Path(tempfile.mkdtemp(prefix="wren-redis-"))
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> Self:
        self._proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._dir),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        _running.add(self._proc)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(64).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._proc is not None:
            _stop_process(self._proc)
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Browser(requests.Session):
    """A client that fills forms like a person: each form's CSRF token comes
    from the page that shows it. ``address``, when given, is sent as
    X-Forwarded-For (the servers trust 127.0.0.1 as their proxy)."""

    def __init__(self, address: str | None = None) -> None:
        super().__init__()
        if address:
            self.headers["X-Forwarded-For"] = address

    def submit(
        self, url: str, data: dict[str, str], page: str | None = None
    ) -> requests.Response:
        form_page = self.get(page or url, timeout=10)
        match = CSRF_RE.search(form_page.text)
        assert match, f"no csrf_token on {page or url}: {form_page.status_code}"
        return self.post(
            url,
            data={"csrf_token": match.group(1), **data},
            allow_redirects=False,
            timeout=10,
        )


def wait_until(
    predicate: Callable[[], object], timeout: float = 20.0, what: str = "it"
) -> None:
    """Poll ``predicate`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


class JobWorker:
    """``flask jobs worker`` with ``env``: pass a LiveServer's ``.env`` to
    work its queue (the SQLite file in its instance folder, or its Redis).

    ``stop()`` sends SIGTERM to its PID, as systemd would; ``returncode`` and
    ``log_text()`` tell how it ended.
    """

    def __init__(self, env: dict[str, str], workers: int = 1) -> None:
        self.env = env
        self.workers = workers
        self._tmp = Path(tempfile.mkdtemp(prefix="wren-worker-"))
        self._log_path = self._tmp / "worker.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None

    def start(self, timeout: float = 30.0) -> Self:
        with self._log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [str(BIN / "flask"), "--app", "run.py", "jobs", "worker",
                 "--workers", str(self.workers)],
                cwd=ROOT,
                env=base_env(self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        _running.add(self._proc)
        try:
            wait_until(
                lambda: (
                    "consumer started" in self.log_text()
                    or self._proc is None
                    or self._proc.poll() is not None
                ),
                timeout,
                "the worker's start",
            )
        except BaseException:
            self.stop()
            raise
        if self._proc.poll() is not None:
            self.stop()
            raise RuntimeError(f"worker exited:\n{self.log_text()}")
        return self

    @property
    def pid(self) -> int:
        assert self._proc is not None, "worker not started"
        return self._proc.pid

    def wait(self, timeout: float = 20.0) -> int:
        """Wait for the worker to exit (after a signal sent by the test)."""
        assert self._proc is not None, "worker not started"
        self.returncode = self._proc.wait(timeout=timeout)
        _running.discard(self._proc)
        return self.returncode

    def stop(self, grace: float = 20.0) -> None:
        if self._proc is not None:
            _stop_process(self._proc, grace=grace)
            self.returncode = self._proc.returncode

    def log_text(self) -> str:
        try:
            return self._log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)
