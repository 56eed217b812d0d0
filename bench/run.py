"""Load benchmark: Wren under gunicorn against Flask's hello world.

``make bench`` (or ``python -m bench.run``) runs, on SQLite and on
PostgreSQL (``--db``), one server at a time:

- the **community mix** (``--workload mix``, the default; bench/mix.py and
  bench/mix.lua): a seeded community (2,000 users, 200,000 posts of which
  20,000 replies, 1,000,000 likes, 20 follows each), at least 100 distinct
  logged-in readers, every request a random reader and a random target
  (their feed, /explore, any profile, deep ``?before=`` pages, /api/feed,
  their notifications as a page and through the API), 8% of them writes:
  posts, replies, likes and unlikes, through the API and the forms;
- the **single reader** (``--workload single``; bench/single.py): demo1 on
  the feed, /explore, /user/demo2 and /api/feed, at 1,000 posts (5,000
  likes) and 1,000,000 posts (5,000,000 likes).

``--workload all`` runs both. Wren is served with ``gunicorn -c
gunicorn.conf.py run:app`` in the production config, as behind a TLS proxy
(every request carries X-Forwarded-Proto: https from 127.0.0.1, a trusted
proxy address, so Secure cookies, HSTS and the HTTPS redirect all stay on),
and bench/hello.py under the identical command is measured just before and
just after every Wren measurement (the yardstick; see harness.Yardstick).
Only 2xx answers with real content count as good (and a form's redirect
that is its success: a post's 302 to "/", a reply's to its thread); anything
else is a failure, and a run with failures exits 1.
Targets are reported, not enforced.

The access log is off for every server alike. Results go to
bench/results/results.json (and a timestamped copy); ``--quick`` is a smoke
run of about two minutes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import mix, single
from bench.chart import write_chart
from bench.harness import (
    RESULTS,
    ROOT,
    Yardstick,
    databases,
    hello_server,
    host_load,
    note,
    pg_script,
)
from tests.servers import postgres_available


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--workload",
        choices=("mix", "single", "all"),
        default="mix",
        help="what to run",
    )
    parser.add_argument(
        "--db", choices=("sqlite", "postgres", "both"), default="both", help="databases"
    )
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=ROOT,
        help="the Wren tree to serve (e.g. a `git worktree` of a stable commit)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the Wren servers (repeatable)",
    )
    mixing = parser.add_argument_group("community mix")
    mixing.add_argument("--users", type=int, default=2_000, help="demo1..demoN")
    mixing.add_argument("--posts", type=int, default=200_000, help="seeded")
    mixing.add_argument("--likes", type=int, default=1_000_000, help="seeded")
    mixing.add_argument(
        "--replies", type=int, default=20_000, help="of the posts, seeded"
    )
    mixing.add_argument("--readers", type=int, default=100, help="distinct, >= 100")
    mixing.add_argument(
        "--write-share", type=float, default=0.08, help="of requests, 0.05-0.10"
    )
    mixing.add_argument("--seed", type=int, default=1, help="picks readers, targets")
    one = parser.add_argument_group("single reader")
    one.add_argument("--small-users", type=int, default=100, help="small database")
    one.add_argument("--small-posts", type=int, default=1_000, help="small database")
    one.add_argument("--small-likes", type=int, default=5_000, help="small database")
    one.add_argument("--small-replies", type=int, default=100, help="small database")
    one.add_argument("--large-users", type=int, default=10_000, help="large database")
    one.add_argument(
        "--large-posts", type=int, default=1_000_000, help="large database"
    )
    one.add_argument(
        "--large-likes", type=int, default=5_000_000, help="large database"
    )
    one.add_argument(
        "--large-replies", type=int, default=100_000, help="large database"
    )
    parser.add_argument("--follows", type=int, default=20, help="per demo user")
    parser.add_argument("--duration", type=int, default=15, help="seconds per run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds, unmeasured")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep SQLite databases seeded with the same sizes by a last run",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 200 users, 5,000 posts, 100 readers, 5 s runs",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.posts = 200, 5_000
        args.likes, args.replies = 25_000, 500
        args.readers = min(args.readers, 100)
        args.large_users, args.large_posts = 1_000, 20_000
        args.large_likes, args.large_replies = 100_000, 2_000
        args.duration, args.warmup = 5, 1
    if args.readers > args.users:
        parser.error("--readers cannot exceed --users")
    if not 0 <= args.write_share < 1:
        parser.error("--write-share must be a fraction below 1")
    if args.readers < 100 or not 0.05 <= args.write_share <= 0.10:
        print(
            "note: the contract's mix has >= 100 readers and 5-10% writes",
            file=sys.stderr,
        )
    args.app_dir = args.app_dir.resolve()
    extra = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--env wants KEY=VALUE, not {item!r}")
        extra[key] = value
    args.extra_env = extra
    return args


def app_commit(app_dir: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(app_dir), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def _terminate(signum: int, frame: Any) -> None:
    # Unwind through every ``with`` block: servers stopped, clusters destroyed.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: run scripts/ci-deps.sh", file=sys.stderr)
        return 2
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and not postgres_available(pg_script(args.app_dir)):
        print("PostgreSQL binaries not found: run scripts/ci-deps.sh", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y%m%d-%H%M%S")
    load_start = host_load()
    t0 = time.monotonic()
    workloads = ["mix", "single"] if args.workload == "all" else [args.workload]

    mixes: list[dict[str, Any]] = []
    singles: list[dict[str, Any]] = []
    with hello_server(args.app_dir, args.workers) as hello:
        yardstick = Yardstick(args, hello)
        for kind in kinds:
            with databases(kind, args.app_dir, args.reuse) as db:
                if "mix" in workloads:
                    note(f"community mix on {kind}")
                    mixes.append(mix.measure_mix(args, db, yardstick))
                if "single" in workloads:
                    note(f"single reader on {kind}")
                    singles.append(single.measure_single(args, db, yardstick))
        hello_summary = yardstick.summary(hello.rss_mb())

    failures = (
        sum(m["failures"] + m["warmup_failures"] for m in mixes)
        + sum(s["failures"] for s in singles)
        + hello_summary["failures"]
    )
    summary = {
        "started": started,
        "seconds": round(time.monotonic() - t0, 1),
        "app": {"dir": str(args.app_dir), "commit": app_commit(args.app_dir)},
        "machine": {
            "cpus": multiprocessing.cpu_count(),
            # Other processes share the CPUs with the servers and wrk: a
            # load above the CPU count at either end makes the run noisy.
            "load_average_start": load_start,
            "load_average_end": host_load(),
        },
        "settings": {
            "workloads": workloads,
            "databases": kinds,
            "workers": args.workers,
            "wrk_threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "env": args.extra_env,
            "mix": {
                "users": args.users,
                "posts": args.posts,
                "likes": args.likes,
                "replies": args.replies,
                "follows_per_user": args.follows,
                "readers": args.readers,
                "write_share": args.write_share,
                "reads": mix.READS,
                "writes": mix.WRITES,
                "at_readers": mix.AT_READERS,
                "seed": args.seed,
            },
            "quick": args.quick,
        },
        "hello": hello_summary,
        "mix": mixes,
        "single": singles,
        "failures": failures,
    }
    text = json.dumps(summary, indent=2) + "\n"
    (RESULTS / "results.json").write_text(text)
    (RESULTS / f"results-{started}.json").write_text(text)
    for result in singles:
        write_chart(
            {
                "endpoints": result["endpoints"],
                "hello": hello_summary,
                "settings": {"workers": args.workers},
            },
            RESULTS / f"chart-single-{result['db']}.svg",
        )

    print()
    print(
        f"app {summary['app']['commit']} in {args.app_dir}; {args.workers} workers, "
        f"wrk -t{args.threads} -c{args.connections}, {args.duration} s runs; "
        f"load {load_start} -> {summary['machine']['load_average_end']} "
        f"on {summary['machine']['cpus']} CPUs"
    )
    if args.extra_env:
        print(f"server env: {args.extra_env}")
    if mixes:
        print(
            f"\ncommunity mix: {args.users:,} users, {args.posts:,} posts "
            f"({args.replies:,} replies), {args.likes:,} likes, "
            f"{args.follows} follows each, {args.readers} readers, "
            f"{args.write_share:.0%} writes"
        )
        print(mix.table(mixes))
        for m in mixes:
            if m["failures"] or m["warmup_failures"]:
                print(
                    f"  {m['db']} failures by kind: {m['bad']}, "
                    f"unknown {m['unknown']}, sockets {m['socket_errors']}, "
                    f"warmup {m['warmup_failures']}, e.g. {m['failure_samples']}"
                )
    for result in singles:
        print()
        print(single.table(result))
    print(
        f"\nhello world: {hello_summary['rps']} rps mean of "
        f"{len(hello_summary['runs'])} runs, failures {hello_summary['failures']}"
    )
    print(f"failures in total: {failures}  (any failure makes the run invalid)")
    print(f"wrote {RESULTS / 'results.json'}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
