"""The community mix: many logged-in readers, the whole community, some writes.

For one database: seed it, serve it with the production gunicorn command, log
in ``--readers`` distinct demo users (each through the real login form, each
from an address of its own, each with an API token), then run bench/mix.lua,
which sends every request as a random reader to a random target, with
``--write-share`` of them posts (half through the API, half through the form).
Hello world is measured just before and just after (the yardstick).
"""

from __future__ import annotations

import random
import secrets
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from bench.harness import (
    BENCH,
    PROXY,
    Database,
    Reader,
    Server,
    Sizes,
    Yardstick,
    log_in,
    note,
    ratio_to,
    wren_server,
    wrk,
)

LUA = BENCH / "mix.lua"
# Read targets and their weights; writes come on top (--write-share).
READS: dict[str, int] = {
    "feed": 25,  # the reader's home feed, page one
    "explore": 15,  # everyone's posts, page one
    "profile": 20,  # /user/demoK, K anywhere in the community
    "feed_deep": 8,  # ?before=<random post id>
    "explore_deep": 7,
    "profile_deep": 10,
    "api_feed": 15,  # GET /api/feed with the reader's bearer token
}
TARGET_RATIO = {"sqlite": 0.30, "postgres": 0.25}
MAX_P99_MS = 100.0


def lua_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def reader_address(i: int) -> str:
    """A distinct client address per reader, sent as X-Forwarded-For."""
    return f"10.77.{i // 250}.{i % 250 + 1}"


def log_in_readers(base: str, users: int, count: int, seed: int) -> list[Reader]:
    """``count`` distinct demo users drawn from the whole community, logged in."""
    rng = random.Random(seed)
    numbers = rng.sample(range(1, users + 1), min(count, users))
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(
            pool.map(
                lambda pair: log_in(base, f"demo{pair[1]}", reader_address(pair[0])),
                enumerate(numbers),
            )
        )


def newest_post_id(base: str, reader: Reader) -> int:
    answer = requests.get(
        base + "/api/posts",
        params={"limit": 1},
        headers={**PROXY, "Authorization": f"Bearer {reader.token}"},
        timeout=30,
    )
    answer.raise_for_status()
    return int(answer.json()["items"][0]["id"])


def write_data(
    path: Path,
    server: Server,
    readers: list[Reader],
    users: int,
    max_post: int,
    write_share: float,
    seed: int,
) -> None:
    """The Lua file bench/mix.lua reads: the readers and the run's settings."""
    rows = []
    for r in readers:
        fields = {
            "cookie": r.cookie,
            "token": r.token,
            "csrf": quote(r.csrf, safe=""),
            "xff": r.address,
        }
        rows.append(
            "  {"
            + ", ".join(f"{k} = {lua_string(v)}" for k, v in fields.items())
            + "},"
        )
    reads = ", ".join(f"{{{lua_string(k)}, {w}}}" for k, w in READS.items())
    path.write_text(
        "return {\n"
        f"  host = {lua_string(f'127.0.0.1:{server.port}')},\n"
        f"  referer = {lua_string(f'https://127.0.0.1:{server.port}/')},\n"
        f"  users = {users},\n"
        f"  max_post = {max_post},\n"
        f"  write_share = {write_share!r},\n"
        f"  seed = {seed},\n"
        f"  run = {lua_string(secrets.token_hex(4))},\n"
        f"  reads = {{{reads}}},\n"
        "  readers = {\n" + "\n".join(rows) + "\n  },\n"
        "}\n"
    )


def mix_run(args: Any, server: Server, data: Path, seconds: int) -> dict[str, Any]:
    raw = wrk(args, server.url + "/", LUA, seconds, {"WRK_MIX_DATA": str(data)})
    sent = raw["sent"]
    total_sent = sum(sent.values()) or 1
    writes = sent["api_post"] + sent["form_post"]
    bad = sum(raw["bad"].values()) + raw["unknown"]
    socket_errors = raw["socket_errors"] + raw["timeouts"]
    return {
        "rps": raw["rps"],
        "p50_ms": raw["p50_ms"],
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": raw["p99_ms"],
        "max_ms": round(raw["max_us"] / 1000, 2),
        "requests": raw["requests"],
        "failures": bad + socket_errors,
        "bad_answers": bad,
        "socket_errors": socket_errors,
        "write_share_sent": round(writes / total_sent, 4),
        "sent": sent,
        "ok": raw["ok"],
        "bad": raw["bad"],
        "unknown": raw["unknown"],
        "empty_pages": raw["empty"],
        "failure_samples": raw["samples"],
    }


def measure_mix(args: Any, db: Database, yardstick: Yardstick) -> dict[str, Any]:
    sizes = Sizes(args.users, args.posts, args.follows)
    url, seed_seconds = db.prepare("mix", sizes, fresh_copy=True)
    with (
        wren_server(args, url) as srv,
        tempfile.TemporaryDirectory(prefix="wren-mix-") as tmp,
    ):
        note(f"logging in {args.readers} readers")
        readers = log_in_readers(srv.url, args.users, args.readers, args.seed)
        data = Path(tmp) / "mix-data.lua"
        max_post = newest_post_id(srv.url, readers[0])
        write_data(
            data, srv, readers, args.users, max_post, args.write_share, args.seed
        )
        before = yardstick.before()
        note(f"mix on {db.kind}: {args.warmup} s warm-up, {args.duration} s measured")
        warm = mix_run(args, srv, data, args.warmup)
        result = mix_run(args, srv, data, args.duration)
        rss = srv.rss_mb()
        after, hello_rps = yardstick.beside(before)
    ratio = ratio_to(result["rps"], hello_rps)
    target = TARGET_RATIO[db.kind]
    return {
        "db": db.kind,
        "seed_seconds": seed_seconds,
        "readers": len(readers),
        "max_post_id": max_post,
        **result,
        "hello_before_rps": before["rps"],
        "hello_after_rps": after["rps"],
        "hello_rps": hello_rps,
        "ratio": ratio,
        "warmup_failures": warm["failures"],
        "rss_mb": rss,
        "targets_met": {
            f"mix >= {target:.2f} of hello": ratio >= target,
            f"p99 <= {MAX_P99_MS:.0f} ms": result["p99_ms"] <= MAX_P99_MS,
            "zero failures": result["failures"] == 0 and warm["failures"] == 0,
        },
    }


def table(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'db':<9}{'rps':>8}{'hello':>9}{'ratio':>7}{'target':>7}"
        f"{'p50ms':>8}{'p99ms':>8}{'fail':>6}{'writes':>8}"
        f"  {'ratio_ok':<9}{'p99_ok':<7}{'no_fail':<7}"
    )
    lines = [head]
    for r in results:
        met = list(r["targets_met"].values())
        lines.append(
            f"{r['db']:<9}{r['rps']:>8.1f}{r['hello_rps']:>9.1f}{r['ratio']:>7.3f}"
            f"{TARGET_RATIO[r['db']]:>7.2f}{r['p50_ms']:>8.1f}{r['p99_ms']:>8.1f}"
            f"{r['failures']:>6}{r['write_share_sent']:>8.1%}"
            f"  {met[0]!s:<9}{met[1]!s:<7}{met[2]!s:<7}"
        )
    for r in results:
        sent = r["sent"]
        total = sum(sent.values()) or 1
        empty = {k: n for k, n in r["empty_pages"].items() if n}
        lines.append(
            f"  {r['db']}: {r['requests']} answers from {r['readers']} readers; "
            f"sent api_post {sent['api_post'] / total:.1%}, "
            f"form_post {sent['form_post'] / total:.1%}; "
            f"empty pages {empty or 0}; seed {r['seed_seconds']} s"
        )
    return "\n".join(lines)
