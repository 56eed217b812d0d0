"""The single reader: demo1, logged in, on one URL at a time, small and large.

For one database: seed a small (1,000 posts, 5,000 likes) and a large
(1,000,000 posts, 5,000,000 likes; a tenth of the posts replies in both)
database, timing the seeds step by step; serve each; measure the home feed,
/explore, /user/demo2 and GET /api/feed, one at a time, each beside hello
world (the yardstick).
"""

from __future__ import annotations

from typing import Any

from bench.harness import (
    POST_CARD,
    PROXY,
    Database,
    SeedTime,
    Sizes,
    Yardstick,
    check_run,
    failures_of,
    log_in,
    note,
    ratio_to,
    wren_server,
)

# name -> (path, markers every good body holds, needs "cookie" or "token")
ENDPOINTS: dict[str, tuple[str, list[str], str]] = {
    "feed": ("/", ['class="post-form', POST_CARD], "cookie"),
    "explore": ("/explore", [POST_CARD], "cookie"),
    "profile": ("/user/demo2", [POST_CARD, "demo2"], "cookie"),
    "api_feed": ("/api/feed", ['"items":', '"body":'], "token"),
}
TARGETS = {"feed": 0.30, "explore": 0.30, "profile": 0.30, "api_feed": 0.40}
MAX_P50_RATIO = 1.3
MAX_SEED_SECONDS = 60.0
SIZES = ("small", "large")


def measure_size(args: Any, url: str, yardstick: Yardstick) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with wren_server(args, url) as srv:
        reader = log_in(srv.url, "demo1")
        for name, (path, markers, auth) in ENDPOINTS.items():
            headers = dict(PROXY)
            if auth == "cookie":
                headers["Cookie"] = reader.cookie
            else:
                headers["Authorization"] = f"Bearer {reader.token}"
            before = yardstick.before()
            note(f"single reader: {name}")
            check_run(args, srv.url + path, markers, headers, args.warmup)
            result = check_run(args, srv.url + path, markers, headers, args.duration)
            _, result["hello_rps"] = yardstick.beside(before)
            result["ratio"] = ratio_to(result["rps"], result["hello_rps"])
            results[name] = result
        results["rss_mb"] = srv.rss_mb()
    return results


def measure_single(args: Any, db: Database, yardstick: Yardstick) -> dict[str, Any]:
    sizes = {
        "small": Sizes(
            args.small_users,
            args.small_posts,
            args.follows,
            args.small_likes,
            args.small_replies,
        ),
        "large": Sizes(
            args.large_users,
            args.large_posts,
            args.follows,
            args.large_likes,
            args.large_replies,
        ),
    }
    seeded: dict[str, SeedTime | None] = {}
    runs: dict[str, dict[str, Any]] = {}
    for size in SIZES:
        url, seeded[size] = db.prepare(size, sizes[size])
        runs[size] = measure_size(args, url, yardstick)
    seeds = {s: t.seconds if t else None for s, t in seeded.items()}
    seed_steps = {s: t.steps if t else {} for s, t in seeded.items()}

    endpoints: dict[str, Any] = {}
    met: dict[str, bool] = {}
    for name in ENDPOINTS:
        small, large = runs["small"][name], runs["large"][name]
        p50_ratio = (
            round(large["p50_ms"] / small["p50_ms"], 2) if small["p50_ms"] else None
        )
        endpoints[name] = {
            "small": small,
            "large": large,
            "fraction_of_hello": {s: runs[s][name]["ratio"] for s in SIZES},
            "large_small_p50": p50_ratio,
        }
        met[f"{name} >= {TARGETS[name]:.2f} of hello"] = (
            min(small["ratio"], large["ratio"]) >= TARGETS[name]
        )
        met[f"{name} large/small p50 <= {MAX_P50_RATIO}"] = (
            p50_ratio is not None and p50_ratio <= MAX_P50_RATIO
        )
    failures = sum(failures_of(runs[s][n]) for s in SIZES for n in ENDPOINTS)
    met["zero failures"] = failures == 0
    if seeds["large"] is not None:
        # The contract's figure is for the seed of 1M posts (< 60 s); the
        # likes, new since, are timed beside it (seed_steps).
        without_likes = seeds["large"] - seed_steps["large"].get("likes", 0.0)
        met[f"seed large without likes < {MAX_SEED_SECONDS:.0f} s"] = (
            without_likes < MAX_SEED_SECONDS
        )
    return {
        "db": db.kind,
        "sizes": {s: sizes[s].params() for s in SIZES},
        "seed_seconds": seeds,
        "seed_steps": seed_steps,
        "endpoints": endpoints,
        "rss_mb_per_worker": {s: runs[s]["rss_mb"] for s in SIZES},
        "failures": failures,
        "targets_met": met,
    }


def table(result: dict[str, Any]) -> str:
    head = (
        f"{'endpoint':<10}{'size':<7}{'rps':>8}{'hello':>9}{'ratio':>7}"
        f"{'target':>7}{'p50ms':>8}{'p99ms':>8}{'fail':>6}"
    )
    lines = [f"single reader on {result['db']}", head]
    for name, data in result["endpoints"].items():
        for size in SIZES:
            r = data[size]
            lines.append(
                f"{name:<10}{size:<7}{r['rps']:>8.1f}{r['hello_rps']:>9.1f}"
                f"{r['ratio']:>7.3f}{TARGETS[name]:>7.2f}{r['p50_ms']:>8.1f}"
                f"{r['p99_ms']:>8.1f}{failures_of(r):>6}"
            )
        lines.append(f"{'':<10}large/small p50: {data['large_small_p50']}")
    lines.append(f"seed seconds: {result['seed_seconds']}")
    for size, steps in result.get("seed_steps", {}).items():
        if steps:
            lines.append(f"  {size} seed steps (s): {steps}")
    lines += [f"  {ok!s:<5} {name}" for name, ok in result["targets_met"].items()]
    return "\n".join(lines)
