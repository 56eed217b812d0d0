"""What both workloads share: databases, servers, logging in, wrk, the yardstick.

Servers, clusters and ``flask`` commands come from tests/servers.py: every
server listens on 127.0.0.1 only, runs in a session of its own and is stopped
by its PID when its ``with`` block ends (SIGINT, gunicorn's quick shutdown,
then SIGKILL to the group it leads), and at interpreter exit as a last resort.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.servers import LiveServer, PostgresCluster, flask_cli

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent  # the tree the bench code comes from (and hello.py)
RESULTS = BENCH / "results"
PASSWORD = "wren-demo-password"
# As from a TLS proxy; a fixed User-Agent as from one browser (Flask-Login
# marks a session whose agent changes as not fresh, and saves it again).
PROXY = {"X-Forwarded-Proto": "https", "User-Agent": "wren-bench"}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
POST_CARD = '<article class="post card'
LOGIN_FORM = 'name="password"'


class Server(LiveServer):
    """``gunicorn -c gunicorn.conf.py <app>`` in ``app_dir`` on a free port.

    The same command for Wren and for the hello world; only ``env`` differs,
    and it is the whole config (server_env), so LiveServer's testing defaults
    never apply. PUBLIC_URL defaults to the address the benchmark reaches the
    server by, as a site's own name.
    """

    def __init__(
        self,
        app_dir: Path,
        env: dict[str, str],
        workers: int,
        app: str = "run:app",
        ready_path: str = "/healthz",
    ) -> None:
        super().__init__(env, workers, app=app, ready_path=ready_path, app_dir=app_dir)
        self.env.setdefault("PUBLIC_URL", f"https://127.0.0.1:{self.port}")


def wren_server(args: Any, url: str) -> Server:
    """Wren on the database at ``url``: production config plus ``--env``."""
    return Server(args.app_dir, server_env(url, args.extra_env), args.workers)


def server_env(database_url: str, extra: dict[str, str]) -> dict[str, str]:
    """Wren's production config, as behind a TLS proxy; ``extra`` on top."""
    return {
        "WREN_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "GUNICORN_ACCESS_LOG": "off",
        "LOG_LEVEL": "WARNING",
        "MAIL_BACKEND": "console",
        "DATABASE_URL": database_url,
        **extra,
    }


def seed_env(database_url: str) -> dict[str, str]:
    # Demo passwords hashed cheaply, as the servers hash new ones: logging in
    # a hundred readers is setup, not what is measured, and scrypt made it
    # take most of a quick run.
    return {
        "WREN_CONFIG": "development",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "seeding",
        "WREN_INSTANCE_PATH": str(RESULTS / "instance"),
    }


@dataclass
class Sizes:
    users: int
    posts: int
    follows: int
    likes: int = 0
    replies: int = 0

    def params(self) -> dict[str, int]:
        return {
            "users": self.users,
            "posts": self.posts,
            "follows": self.follows,
            "likes": self.likes,
            "replies": self.replies,
        }


@dataclass
class SeedTime:
    """How long ``flask seed`` took: in all, and per step when the seed
    says (users, posts, follows, likes, analyze)."""

    seconds: float
    steps: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "steps": self.steps}


# `flask seed` ends with "Steps: users 0.2 s, posts 9.3 s, ..., analyze 0.8 s."
STEPS_RE = re.compile(r"^Steps: (.*)\.$", re.MULTILINE)
STEP_RE = re.compile(r"([a-z]+) ([0-9.]+) s")


def seed_steps(output: str) -> dict[str, float]:
    found = STEPS_RE.search(output)
    if not found:
        return {}  # a Wren tree (--app-dir) whose seed does not say
    return {name: float(value) for name, value in STEP_RE.findall(found.group(1))}


def run_seed(app_dir: Path, url: str, sizes: Sizes) -> SeedTime:
    """``flask db upgrade`` and ``flask seed``; how long the seed took."""
    env = seed_env(url)
    note(f"seeding {url}: {sizes.params()}")
    flask_cli(env, "db", "upgrade", cwd=app_dir)
    # Only what is asked for: a tree served with --app-dir may predate
    # --likes and --replies.
    more = [
        *(("--likes", str(sizes.likes)) if sizes.likes else ()),
        *(("--replies", str(sizes.replies)) if sizes.replies else ()),
    ]
    started = time.perf_counter()
    output = flask_cli(
        env,
        "seed",
        *("--users", str(sizes.users), "--posts", str(sizes.posts)),
        *("--follows", str(sizes.follows)),
        *more,
        timeout=1800,
        cwd=app_dir,
    )
    seconds = round(time.perf_counter() - started, 1)
    steps = seed_steps(output)
    note(f"seeded in {seconds} s: {steps}")
    return SeedTime(seconds, steps)


@dataclass
class Database:
    """Seeded databases of one kind for the app in ``app_dir``; ``prepare``
    gives a URL to serve."""

    app_dir: Path
    kind = ""

    def prepare(
        self, name: str, sizes: Sizes, fresh_copy: bool = False
    ) -> tuple[str, SeedTime | None]:
        """A database holding ``sizes``: its URL and how long seeding took.

        ``fresh_copy``: the benchmark writes to it, so it must start as seeded.
        """
        raise NotImplementedError


@dataclass
class SqliteDatabases(Database):
    """Files in bench/results/; ``reuse`` keeps one seeded with equal sizes."""

    reuse: bool
    kind = "sqlite"

    def prepare(
        self, name: str, sizes: Sizes, fresh_copy: bool = False
    ) -> tuple[str, SeedTime | None]:
        path = RESULTS / f"wren-{name}.sqlite"
        stamp = RESULTS / f"wren-{name}.json"
        url = f"sqlite:///{path}"
        kept = json.loads(stamp.read_text()) if stamp.exists() else {}
        if self.reuse and path.exists() and kept.get("params") == sizes.params():
            # A kept database gets new migrations; the seed time is the one
            # measured when it was seeded.
            flask_cli(seed_env(url), "db", "upgrade", cwd=self.app_dir)
            took = (
                SeedTime(kept["seconds"], kept.get("steps", {}))
                if kept.get("seconds") is not None
                else None
            )
        else:
            for old in RESULTS.glob(f"wren-{name}.sqlite*"):
                old.unlink()
            stamp.unlink(missing_ok=True)
            took = run_seed(self.app_dir, url, sizes)
            stamp.write_text(json.dumps({"params": sizes.params(), **took.as_dict()}))
        if fresh_copy:
            path = self._copy(path, name)
        return f"sqlite:///{path}", took

    @staticmethod
    def _copy(path: Path, name: str) -> Path:
        """A copy to write to, so the seeded file stays as seeded for --reuse."""
        copy = RESULTS / f"wren-{name}-run.sqlite"
        for old in RESULTS.glob(f"wren-{name}-run.sqlite*"):
            old.unlink()
        src, dst = sqlite3.connect(path), sqlite3.connect(copy)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return copy


@dataclass
class PostgresDatabases(Database):
    """A database per name in ``cluster``, the run's one throwaway cluster."""

    cluster: PostgresCluster
    kind = "postgres"

    def prepare(
        self, name: str, sizes: Sizes, fresh_copy: bool = False
    ) -> tuple[str, SeedTime | None]:
        url = self.cluster.createdb(f"wren_{name}")
        return url, run_seed(self.app_dir, url, sizes)


def pg_script(app_dir: Path) -> Path:
    """``app_dir``'s scripts/pg.sh; this tree's when that one has none."""
    script = app_dir / "scripts" / "pg.sh"
    return script if script.exists() else ROOT / "scripts" / "pg.sh"


@contextmanager
def databases(kind: str, app_dir: Path, reuse: bool) -> Iterator[Database]:
    """SQLite files, or a cluster destroyed when the block ends, even on error."""
    if kind == "sqlite":
        yield SqliteDatabases(app_dir, reuse)
    else:
        with PostgresCluster(pg_script(app_dir)) as cluster:
            yield PostgresDatabases(app_dir, cluster)


def cookie_header(*responses: requests.Response) -> str:
    jar: dict[str, str] = {}
    for response in responses:
        jar.update({k: v or "" for k, v in response.cookies.get_dict().items()})
    return "; ".join(f"{k}={v}" for k, v in jar.items())


@dataclass
class Reader:
    """A logged-in reader: session cookie, the page's CSRF token, API token."""

    username: str
    address: str  # X-Forwarded-For: each reader is a client of its own
    cookie: str
    csrf: str
    token: str


def log_in(base: str, username: str, address: str = "") -> Reader:
    """Log ``username`` in through the real form; get an API token with Basic.

    The session cookie is Secure, so it is carried by hand: the benchmark
    speaks plain http to gunicorn as the TLS proxy would.
    """
    proxy = {**PROXY, **({"X-Forwarded-For": address} if address else {})}
    page = requests.get(base + "/auth/login", headers=proxy, timeout=30)
    page.raise_for_status()
    match = CSRF_RE.search(page.text)
    if not match:
        raise RuntimeError("no csrf_token on the login page")
    login = requests.post(
        base + "/auth/login",
        data={"csrf_token": match.group(1), "username": username, "password": PASSWORD},
        headers={
            **proxy,
            "Cookie": cookie_header(page),
            # Flask-WTF checks the referrer of https form posts.
            "Referer": base.replace("http://", "https://", 1) + "/auth/login",
        },
        allow_redirects=False,
        timeout=30,
    )
    if login.status_code != 302 or "/auth/login" in login.headers.get("Location", ""):
        raise RuntimeError(
            f"login of {username} failed: {login.status_code}\n{login.text[:2000]}"
        )
    cookie = cookie_header(page, login)
    # A browser's first page after login stores the session's new CSRF
    # secret; wrk sends one fixed cookie, so take that step here. The page's
    # form token belongs to that secret.
    home = requests.get(
        base + "/",
        headers={**proxy, "Cookie": cookie},
        allow_redirects=False,
        timeout=30,
    )
    if home.status_code != 200 or LOGIN_FORM in home.text:
        raise RuntimeError(f"home page of {username}: {home.status_code}")
    cookie = cookie_header(page, login, home)
    csrf = CSRF_RE.search(home.text)
    if not csrf:
        raise RuntimeError(f"no csrf_token on the home page of {username}")

    token = requests.post(
        base + "/api/tokens", auth=(username, PASSWORD), headers=proxy, timeout=30
    )
    if token.status_code != 201:
        raise RuntimeError(
            f"token of {username} failed: {token.status_code} {token.text[:500]}"
        )
    return Reader(username, address, cookie, csrf.group(1), token.json()["token"])


def wrk(
    args: Any,
    url: str,
    script: Path,
    seconds: int,
    env: dict[str, str],
) -> dict[str, Any]:
    """One wrk run with ``script``; its WRK_JSON line, plus rps and ms."""
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(
        command,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 60,
    )
    line = next(
        (x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None
    )
    if done.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    raw = json.loads(line.removeprefix("WRK_JSON "))
    duration = raw["duration_us"] / 1e6
    raw["rps"] = round(raw["requests"] / duration, 1)
    raw["p50_ms"] = round(raw["p50_us"] / 1000, 2)
    raw["p99_ms"] = round(raw["p99_us"] / 1000, 2)
    return raw


def check_run(
    args: Any, url: str, markers: list[str], headers: dict[str, str], seconds: int
) -> dict[str, Any]:
    """One URL with fixed headers (bench/check.lua), as the single reader does."""
    raw = wrk(
        args,
        url,
        BENCH / "check.lua",
        seconds,
        {
            "WRK_MARKERS": "\n".join(markers),
            "WRK_HEADERS": "\n".join(f"{k}: {v}" for k, v in headers.items()),
        },
    )
    return {
        "rps": raw["rps"],
        "p50_ms": raw["p50_ms"],
        "p99_ms": raw["p99_ms"],
        "requests": raw["requests"],
        "non2xx": raw["non2xx"],
        "marker_missing": raw["marker_missing"],
        "socket_errors": raw["socket_errors"] + raw["timeouts"],
        "sample_bad_status": raw["sample_bad_status"],
    }


def ratio_to(rps: float, hello_rps: float) -> float:
    """``rps`` as a fraction of hello world's, to three places (0 without one)."""
    return round(rps / hello_rps, 3) if hello_rps else 0.0


def failures_of(result: dict[str, Any]) -> int:
    return int(result["non2xx"] + result["marker_missing"] + result["socket_errors"])


class Yardstick:
    """Flask's hello world, measured again beside every Wren measurement.

    This machine's speed drifts by a third within one run (other tenants of
    the host); a ratio to a hello-world rps measured minutes earlier measured
    the drift as much as the app. Each Wren measurement is compared with the
    mean of the hello-world runs just before and just after it; a run "just
    before" is one that ended less than ``FRESH`` seconds earlier, else hello
    world is measured again. Its server idles meanwhile, as the Wren server
    does while hello world is measured.
    """

    FRESH = 30.0

    def __init__(self, args: Any, server: Server) -> None:
        self.args = args
        self.url = server.url + "/"
        self.runs: list[dict[str, Any]] = []
        self.ended = 0.0

    def measure(self) -> dict[str, Any]:
        markers = ["Hello, World!"]
        note("hello world")
        check_run(self.args, self.url, markers, PROXY, self.args.warmup)
        result = check_run(self.args, self.url, markers, PROXY, self.args.duration)
        self.runs.append(result)
        self.ended = time.monotonic()
        return result

    def before(self) -> dict[str, Any]:
        if self.runs and time.monotonic() - self.ended < self.FRESH:
            return self.runs[-1]
        return self.measure()

    def beside(self, before: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """Measure the run after; the mean rps of the two."""
        after = self.measure()
        return after, round((before["rps"] + after["rps"]) / 2, 1)

    def summary(self, rss: list[float]) -> dict[str, Any]:
        every = self.runs
        return {
            "rps": round(sum(r["rps"] for r in every) / max(len(every), 1), 1),
            "p50_ms": every[0]["p50_ms"] if every else None,
            "p99_ms": every[0]["p99_ms"] if every else None,
            "failures": sum(failures_of(r) for r in every),
            "runs": every,
            "rss_mb": rss,
        }


@contextmanager
def hello_server(app_dir: Path, workers: int) -> Iterator[Server]:
    """bench/hello.py under the identical gunicorn command, in ``app_dir``."""
    env = server_env("sqlite:///" + str(RESULTS / "unused.sqlite"), {})
    # hello.py comes from this tree, whichever tree the app comes from.
    env["PYTHONPATH"] = str(ROOT)
    with Server(app_dir, env, workers, app="bench.hello:app", ready_path="/") as srv:
        yield srv


_T0 = time.monotonic()


def note(message: str) -> None:
    """Progress on stderr, with the seconds since the run started."""
    print(f"[{time.monotonic() - _T0:6.1f} s] {message}", file=sys.stderr, flush=True)


def host_load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
