"""The community mix: many logged-in readers, the whole community, some writes.

For one database: seed it (with likes and replies), serve it with the
production gunicorn command, log in ``--readers`` distinct demo users (each
through the real login form, each from an address of its own, each with an
API token), then run bench/mix.lua, which sends every request as a random
reader to a random target, with ``--write-share`` of them writes: posts,
replies, likes and unlikes, each through the API and through the pages'
forms. Reads include the readers' notifications, page and API. Hello world
is measured just before and just after (the yardstick).
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
# Read targets and their weights (per 100 reads).
READS: dict[str, int] = {
    "feed": 22,  # the reader's home feed, page one
    "explore": 14,  # everyone's posts, page one
    "profile": 18,  # /user/demoK, K anywhere in the community
    "feed_deep": 8,  # ?before=<random post id>
    "explore_deep": 7,
    "profile_deep": 9,
    "api_feed": 14,  # GET /api/feed with the reader's bearer token
    "notifications": 5,  # GET /notifications, the reader's own
    "api_notifications": 3,  # GET /api/notifications
}
# Write kinds and their weights (per 100 writes); --write-share of all
# requests are writes. Likes are the commonest write on a microblog.
WRITES: dict[str, int] = {
    "api_post": 15,  # POST /api/posts {"body"}
    "form_post": 15,  # POST / with body and csrf_token (the home page's form)
    "api_reply": 10,  # POST /api/posts {"body", "in_reply_to"}
    "form_reply": 10,  # POST /post/<id>/reply (the thread page's form)
    "api_like": 15,  # PUT /api/posts/<id>/like
    "api_unlike": 10,  # DELETE /api/posts/<id>/like
    "form_like": 15,  # POST /post/<id>/like as the page's script sends it
    "form_unlike": 10,  # POST /post/<id>/unlike, likewise
}
# Of replies and likes, this share goes to the readers' own recent posts
# (so that their notifications fill up as in a community that talks to
# itself), the rest to any post.
AT_READERS = 0.5
# Recent posts per reader to aim those at.
POSTS_PER_READER = 10
# Likes each reader gives other readers' posts before the run (setup).
PRIMING_LIKES = 5
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


def readers_posts(base: str, readers: list[Reader]) -> list[list[int]]:
    """The newest few posts of each reader (through the API, as a client
    would find them): targets for replies and likes that notify a reader."""

    def recent(reader: Reader) -> list[int]:
        headers = {**PROXY, "Authorization": f"Bearer {reader.token}"}
        me = requests.get(base + "/api/me", headers=headers, timeout=30)
        me.raise_for_status()
        page = requests.get(
            f"{base}/api/users/{me.json()['id']}/posts",
            params={"limit": POSTS_PER_READER},
            headers=headers,
            timeout=30,
        )
        page.raise_for_status()
        return [int(item["id"]) for item in page.json()["items"]]

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(recent, readers))


def give_notifications(
    base: str, readers: list[Reader], posts: list[list[int]], seed: int
) -> int:
    """Before the run, each reader likes ``PRIMING_LIKES`` recent posts of
    other readers (through the API), so that notification pages start as a
    talking community's do, not empty: the seed writes likes, not the
    notifications they would have made. Setup, not measured; the number of
    likes sent."""
    rng = random.Random(seed)
    others = [i for i, mine in enumerate(posts) if mine]
    jobs = []
    for i, reader in enumerate(readers):
        choices = [j for j in others if j != i]
        for j in rng.sample(choices, min(PRIMING_LIKES, len(choices))):
            jobs.append((reader, rng.choice(posts[j])))

    def like(job: tuple[Reader, int]) -> None:
        reader, post = job
        answer = requests.put(
            f"{base}/api/posts/{post}/like",
            headers={**PROXY, "Authorization": f"Bearer {reader.token}"},
            timeout=30,
        )
        if answer.status_code != 204:
            raise RuntimeError(f"priming like of {post}: {answer.status_code}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(like, jobs))
    return len(jobs)


def lua_weights(weights: dict[str, int]) -> str:
    return (
        "{" + ", ".join(f"{{{lua_string(k)}, {w}}}" for k, w in weights.items()) + "}"
    )


def write_data(
    path: Path,
    server: Server,
    readers: list[Reader],
    users: int,
    max_post: int,
    reader_posts: list[int],
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
    path.write_text(
        "return {\n"
        f"  host = {lua_string(f'127.0.0.1:{server.port}')},\n"
        f"  referer = {lua_string(f'https://127.0.0.1:{server.port}/')},\n"
        f"  users = {users},\n"
        f"  max_post = {max_post},\n"
        f"  reader_posts = {{{', '.join(map(str, reader_posts))}}},\n"
        f"  at_readers = {AT_READERS!r},\n"
        f"  write_share = {write_share!r},\n"
        f"  seed = {seed},\n"
        f"  run = {lua_string(secrets.token_hex(4))},\n"
        f"  reads = {lua_weights(READS)},\n"
        f"  writes = {lua_weights(WRITES)},\n"
        "  readers = {\n" + "\n".join(rows) + "\n  },\n"
        "}\n"
    )


def mix_run(args: Any, server: Server, data: Path, seconds: int) -> dict[str, Any]:
    raw = wrk(args, server.url + "/", LUA, seconds, {"WRK_MIX_DATA": str(data)})
    sent = raw["sent"]
    total_sent = sum(sent.values()) or 1
    writes = sum(sent[kind] for kind in WRITES)
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
        # Answers outside 2xx, but for the form posts' redirects to success.
        "non2xx": raw["non2xx"],
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
    sizes = Sizes(args.users, args.posts, args.follows, args.likes, args.replies)
    url, seeded = db.prepare("mix", sizes, fresh_copy=True)
    with (
        wren_server(args, url) as srv,
        tempfile.TemporaryDirectory(prefix="wren-mix-") as tmp,
    ):
        note(f"logging in {args.readers} readers")
        readers = log_in_readers(srv.url, args.users, args.readers, args.seed)
        data = Path(tmp) / "mix-data.lua"
        max_post = newest_post_id(srv.url, readers[0])
        targets = readers_posts(srv.url, readers)
        note("each reader likes a few posts of other readers (notifications)")
        primed = give_notifications(srv.url, readers, targets, args.seed)
        write_data(
            data,
            srv,
            readers,
            args.users,
            max_post,
            [post for mine in targets for post in mine],
            args.write_share,
            args.seed,
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
        "seed_seconds": seeded.seconds if seeded else None,
        "seed_steps": seeded.steps if seeded else {},
        "readers": len(readers),
        "max_post_id": max_post,
        "priming_likes": primed,
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
        f"{'p50ms':>8}{'p99ms':>8}{'fail':>6}{'non2xx':>7}{'writes':>8}"
        f"  {'ratio_ok':<9}{'p99_ok':<7}{'no_fail':<7}"
    )
    lines = [head]
    for r in results:
        met = list(r["targets_met"].values())
        lines.append(
            f"{r['db']:<9}{r['rps']:>8.1f}{r['hello_rps']:>9.1f}{r['ratio']:>7.3f}"
            f"{TARGET_RATIO[r['db']]:>7.2f}{r['p50_ms']:>8.1f}{r['p99_ms']:>8.1f}"
            f"{r['failures']:>6}{r['non2xx']:>7}{r['write_share_sent']:>8.1%}"
            f"  {met[0]!s:<9}{met[1]!s:<7}{met[2]!s:<7}"
        )
    for r in results:
        sent = r["sent"]
        total = sum(sent.values()) or 1
        empty = {k: n for k, n in r["empty_pages"].items() if n}
        writes = ", ".join(f"{k} {sent[k] / total:.1%}" for k in WRITES)
        lines.append(
            f"  {r['db']}: {r['requests']} answers from {r['readers']} readers; "
            f"sent {writes}; empty pages {empty or 0}; seed {r['seed_seconds']} s "
            f"{r.get('seed_steps') or ''}"
        )
    return "\n".join(lines)
