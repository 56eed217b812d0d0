"""Load benchmark: Wren under gunicorn against Flask's hello world.

``make bench`` (or ``python -m bench.run``) does, one server at a time:

1. seeds two SQLite databases with ``flask seed``: small (1,000 posts) and
   large (1,000,000 posts, 10,000 users), timing the large seed;
2. serves each with ``gunicorn -c gunicorn.conf.py run:app`` in the production
   config, as behind a TLS proxy (every request carries X-Forwarded-Proto:
   https from 127.0.0.1, a trusted proxy address, so Secure cookies, HSTS and
   the HTTPS redirect all stay on), logs in demo1 through the real form and
   gets an API token with HTTP Basic;
3. measures with wrk the logged-in home feed, /explore, /user/demo2 and
   GET /api/feed, and bench/hello.py under the identical gunicorn command
   before the first and after every endpoint (see Yardstick): each endpoint
   is compared with the hello-world runs on either side of it;
   a wrk script counts every answer that is not 2xx or lacks the page's real
   content (a login redirect or an empty page counts as a failure);
4. prints a JSON summary and writes results.json and chart.svg to
   bench/results/.

The access log is off for every server alike, so the benchmark measures the
app and not a pipe. ``--quick`` runs tiny sizes for a smoke test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from bench.chart import write_chart
from tests.servers import LiveServer, flask_cli

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LUA = HERE / "check.lua"
PASSWORD = "wren-demo-password"
# As from a TLS proxy; a fixed User-Agent as from one browser (Flask-Login
# marks a session whose agent changes as not fresh, and saves it again).
PROXY = {"X-Forwarded-Proto": "https", "User-Agent": "wren-bench"}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
POST_CARD = '<article class="post card'

# name -> (path, markers every good body holds, needs "cookie" or "token")
ENDPOINTS: dict[str, tuple[str, list[str], str]] = {
    "feed": ("/", ['class="post-form', POST_CARD], "cookie"),
    "explore": ("/explore", [POST_CARD], "cookie"),
    "profile": ("/user/demo2", [POST_CARD, "demo2"], "cookie"),
    "api_feed": ("/api/feed", ['"items":', '"body":'], "token"),
}
TARGETS = {"feed": 0.40, "explore": 0.40, "profile": 0.40, "api_feed": 0.50}
MAX_P50_RATIO = 1.3
MAX_SEED_SECONDS = 60.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-users", type=int, default=100)
    parser.add_argument("--small-posts", type=int, default=1_000)
    parser.add_argument("--large-users", type=int, default=10_000)
    parser.add_argument("--large-posts", type=int, default=1_000_000)
    parser.add_argument("--follows", type=int, default=20, help="per demo user")
    parser.add_argument("--duration", type=int, default=15, help="seconds per run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds, unmeasured")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--workers", type=int, default=None, help="default: gunicorn.conf.py's"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep seeded databases from a last run"
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="PAGE_CACHE_SIZE=0: every page rendered, for comparison",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.large_users, args.large_posts = 1_000, 20_000
        args.duration, args.warmup = 3, 1
    return args


def seed(name: str, users: int, posts: int, follows: int, reuse: bool) -> float | None:
    """Create results/wren-<name>.sqlite; return the seconds ``flask seed`` took.

    With ``reuse``, a database seeded with the same sizes is kept, and the
    time measured when it was seeded is returned.
    """
    path = RESULTS / f"wren-{name}.sqlite"
    stamp = RESULTS / f"wren-{name}.json"
    params = {"users": users, "posts": posts, "follows": follows}
    env = {
        "WREN_CONFIG": "development",
        "DATABASE_URL": f"sqlite:///{path}",
        "SECRET_KEY": "seeding",
        "WREN_INSTANCE_PATH": str(RESULTS / "instance"),
    }
    if reuse and path.exists() and stamp.exists():
        kept = json.loads(stamp.read_text())
        if kept.get("params") == params:
            flask_cli(env, "db", "upgrade")  # a kept database gets new migrations
            return kept.get("seconds")  # measured when it was seeded
    for old in RESULTS.glob(f"wren-{name}.sqlite*"):
        old.unlink()
    flask_cli(env, "db", "upgrade")
    started = time.perf_counter()
    flask_cli(
        env,
        "seed",
        *("--users", str(users), "--posts", str(posts), "--follows", str(follows)),
        timeout=900,
    )
    seconds = time.perf_counter() - started
    seconds = round(seconds, 1)
    stamp.write_text(json.dumps({"params": params, "seconds": seconds}))
    return seconds


def cookie_header(*responses: requests.Response) -> str:
    jar: dict[str, str] = {}
    for response in responses:
        jar.update(response.cookies.get_dict())
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def log_in(base: str) -> dict[str, str]:
    """Credentials for demo1: the session cookie and an API bearer token.

    The session cookie is Secure, so it is carried by hand: the benchmark
    speaks plain http to gunicorn as the TLS proxy would.
    """
    page = requests.get(base + "/auth/login", headers=PROXY, timeout=10)
    page.raise_for_status()
    match = CSRF_RE.search(page.text)
    assert match, "no csrf_token on the login page"
    login = requests.post(
        base + "/auth/login",
        data={"csrf_token": match.group(1), "username": "demo1", "password": PASSWORD},
        headers={
            **PROXY,
            "Cookie": cookie_header(page),
            # Flask-WTF checks the referrer of https form posts.
            "Referer": base.replace("http://", "https://", 1) + "/auth/login",
        },
        allow_redirects=False,
        timeout=10,
    )
    if login.status_code != 302 or "/auth/login" in login.headers.get("Location", ""):
        raise RuntimeError(f"login failed: {login.status_code}\n{login.text[:2000]}")
    cookie = cookie_header(page, login)
    # A browser's first page after login stores the session's new CSRF
    # secret; wrk sends one fixed cookie, so take that step here.
    home = requests.get(
        base + "/",
        headers={**PROXY, "Cookie": cookie},
        allow_redirects=False,
        timeout=10,
    )
    home.raise_for_status()
    cookie = cookie_header(page, login, home)

    token = requests.post(
        base + "/api/tokens", auth=("demo1", PASSWORD), headers=PROXY, timeout=10
    )
    if token.status_code != 201:
        raise RuntimeError(f"token failed: {token.status_code} {token.text[:500]}")
    return {"cookie": cookie, "token": token.json()["token"]}


def wrk(
    args: argparse.Namespace,
    url: str,
    markers: list[str],
    headers: dict[str, str],
    seconds: int,
) -> dict[str, Any]:
    env = {
        **os.environ,
        "WRK_MARKERS": "\n".join(markers),
        "WRK_HEADERS": "\n".join(f"{k}: {v}" for k, v in headers.items()),
    }
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
    ]
    out = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    duration = raw["duration_us"] / 1e6
    return {
        "rps": round(raw["requests"] / duration, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "requests": raw["requests"],
        "non2xx": raw["non2xx"],
        "marker_missing": raw["marker_missing"],
        "socket_errors": raw["socket_errors"] + raw["timeouts"],
        "sample_bad_status": raw["sample_bad_status"],
    }


def rss_mb(server: LiveServer) -> list[float]:
    sizes = []
    for pid in server.worker_pids():
        status = Path(f"/proc/{pid}/status").read_text()
        kb = int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
        sizes.append(round(kb / 1024, 1))
    return sizes


def server_env(db: Path | None) -> dict[str, str]:
    env = {
        "WREN_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "GUNICORN_ACCESS_LOG": "off",
        "LOG_LEVEL": "WARNING",
        "MAIL_BACKEND": "console",
        "DATABASE_URL": f"sqlite:///{db or RESULTS / 'unused.sqlite'}",
    }
    return env


class Yardstick:
    """Flask's hello world, measured again between every two Wren measurements.

    This machine's speed drifts by a third within one run (other tenants of
    the host); a ratio to a hello-world rps measured minutes earlier measured
    the drift as much as the app. Each endpoint is compared with the mean of
    the hello-world runs just before and just after it. Its server idles
    meanwhile, as the Wren server does while hello world is measured.
    """

    def __init__(self, args: argparse.Namespace, server: LiveServer) -> None:
        self.args = args
        self.url = server.url + "/"
        self.runs: list[dict[str, Any]] = []

    def measure(self) -> dict[str, Any]:
        markers = ["Hello, World!"]
        wrk(self.args, self.url, markers, PROXY, self.args.warmup)
        result = wrk(self.args, self.url, markers, PROXY, self.args.duration)
        self.runs.append(result)
        return result

    def last(self) -> dict[str, Any]:
        return self.runs[-1] if self.runs else self.measure()


def measure_wren(
    args: argparse.Namespace, db: Path, workers: int, yardstick: Yardstick
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    env = server_env(db)
    if args.no_page_cache:
        env["PAGE_CACHE_SIZE"] = "0"
    with LiveServer(env, workers=workers) as srv:
        creds = log_in(srv.url)
        for name, (path, markers, auth) in ENDPOINTS.items():
            headers = dict(PROXY)
            if auth == "cookie":
                headers["Cookie"] = creds["cookie"]
            else:
                headers["Authorization"] = f"Bearer {creds['token']}"
            before = yardstick.last()
            wrk(args, srv.url + path, markers, headers, args.warmup)
            result = wrk(args, srv.url + path, markers, headers, args.duration)
            after = yardstick.measure()
            result["hello_rps"] = round((before["rps"] + after["rps"]) / 2, 1)
            results[name] = result
        results["rss_mb"] = rss_mb(srv)
    return results


def summarise(
    args: argparse.Namespace,
    workers: int,
    seeds: dict[str, float | None],
    hello: dict[str, Any],
    runs: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    endpoints: dict[str, Any] = {}
    met: dict[str, bool] = {}
    for name in ENDPOINTS:
        small, large = runs["small"][name], runs["large"][name]
        fractions = {
            size: round(runs[size][name]["rps"] / runs[size][name]["hello_rps"], 3)
            for size in ("small", "large")
        }
        ratio = round(large["p50_ms"] / small["p50_ms"], 2) if small["p50_ms"] else None
        endpoints[name] = {
            "small": small,
            "large": large,
            "fraction_of_hello": fractions,
            "large_small_p50": ratio,
        }
        met[f"{name} >= {TARGETS[name]:.0%} of hello"] = (
            min(fractions.values()) >= TARGETS[name]
        )
        met[f"{name} large/small p50 <= {MAX_P50_RATIO}"] = (
            ratio is not None and ratio <= MAX_P50_RATIO
        )
    failures = sum(
        r["non2xx"] + r["marker_missing"] + r["socket_errors"]
        for size in ("small", "large")
        for name, r in runs[size].items()
        if name in ENDPOINTS
    ) + (hello["non2xx"] + hello["marker_missing"] + hello["socket_errors"])
    met["zero non-2xx or empty answers"] = failures == 0
    if seeds.get("large") is not None:
        met[f"seed large < {MAX_SEED_SECONDS:.0f} s"] = (
            seeds["large"] is not None and seeds["large"] < MAX_SEED_SECONDS
        )
    return {
        "machine": {
            "cpus": multiprocessing.cpu_count(),
            # Other processes share the CPUs with the servers and wrk: a
            # load above the CPU count at either end makes the run noisy.
            "load_average_start": args.load_start,
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "workers": workers,
            "wrk_threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "small": {"users": args.small_users, "posts": args.small_posts},
            "large": {"users": args.large_users, "posts": args.large_posts},
            "follows_per_user": args.follows,
            "page_cache": not args.no_page_cache,
        },
        "seed_seconds": seeds,
        "hello": hello,
        "endpoints": endpoints,
        "rss_mb_per_worker": {
            "hello": hello["rss_mb"],
            "small": runs["small"]["rss_mb"],
            "large": runs["large"]["rss_mb"],
        },
        "targets_met": met,
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: run scripts/ci-deps.sh", file=sys.stderr)
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.load_start = [round(x, 2) for x in os.getloadavg()]
    workers = args.workers or 2 * multiprocessing.cpu_count() + 1

    seeds = {
        "small": seed(
            "small", args.small_users, args.small_posts, args.follows, args.reuse
        ),
        "large": seed(
            "large", args.large_users, args.large_posts, args.follows, args.reuse
        ),
    }
    print(f"seeded: {seeds}", file=sys.stderr)
    hello_env = server_env(None)
    runs = {}
    with LiveServer(
        hello_env, workers=workers, app="bench.hello:app", ready_path="/"
    ) as hello_server:
        yardstick = Yardstick(args, hello_server)
        for size in ("small", "large"):
            db = RESULTS / f"wren-{size}.sqlite"
            runs[size] = measure_wren(args, db, workers, yardstick)
            print(f"{size}: done", file=sys.stderr)
        hello_rss = rss_mb(hello_server)
    every = yardstick.runs
    hello = {
        **every[0],
        "rps": round(sum(r["rps"] for r in every) / len(every), 1),
        "runs": every,
        "rss_mb": hello_rss,
    }
    for key in ("non2xx", "marker_missing", "socket_errors"):
        hello[key] = sum(r[key] for r in every)

    summary = summarise(args, workers, seeds, hello, runs)
    (RESULTS / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    write_chart(summary, RESULTS / "chart.svg")
    print(json.dumps(summary, indent=2))
    print(
        f"wrote {RESULTS / 'results.json'} and {RESULTS / 'chart.svg'}", file=sys.stderr
    )
    # Targets are reported, not enforced; a wrong answer makes the run invalid.
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
