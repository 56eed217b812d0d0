"""CPU per request kind of the community mix, replayed in-process.

    python -m bench.mix_cpu bench/results/wren-mix.sqlite -n 2000
    python -m bench.mix_cpu bench/results/wren-mix.sqlite --only profile_deep --profile

wrk tells how fast the whole mix is; this tells which of its kinds the time
goes to. It builds the production app on a COPY of a database seeded by
``make bench`` (the copy is written to, the seed is not), logs in
``--readers`` demo users through the login form, and sends requests drawn
with the mix's own weights (bench/mix.py) through Flask's test client,
timing each kind's process CPU. ``--profile`` adds a cProfile of the run.
The figures include the test client's own overhead (about 0.3 ms a request)
and, on a busy machine, other processes' interference: compare runs made
one after another.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.mix import READS, WRITES

PASSWORD = "wren-demo-password"
BASE = "https://localhost"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Reader:
    """One logged-in demo user: a test client with its cookie, form token
    and API token."""

    def __init__(self, app: Any, number: int) -> None:
        self.client = app.test_client()
        page = self.client.get("/auth/login", base_url=BASE).get_data(as_text=True)
        login = self.client.post(
            "/auth/login",
            base_url=BASE,
            data={
                "csrf_token": _csrf(page),
                "username": f"demo{number}",
                "password": PASSWORD,
            },
            headers={"Referer": BASE + "/auth/login"},
        )
        assert login.status_code == 302, login.status_code
        token = self.client.post(
            "/api/tokens", base_url=BASE, auth=(f"demo{number}", PASSWORD)
        )
        self.bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
        self.csrf = _csrf(self.client.get("/", base_url=BASE).get_data(as_text=True))


def _csrf(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "no csrf_token on the page"
    return match.group(1)


def _request(
    rng: random.Random, reader: Reader, kind: str, users: int, max_post: int, seq: int
) -> Any:
    """Send one request of ``kind`` as bench/mix.lua builds it."""
    client, post = reader.client, rng.randint(1, max_post)
    form = {"csrf_token": reader.csrf}
    referer = {"Referer": BASE + "/"}
    text = f"bench {kind} {seq} #bench"
    if kind in ("api_post", "api_reply"):
        body: dict[str, Any] = {"body": text}
        if kind == "api_reply":
            body["in_reply_to"] = post
        return client.post(
            "/api/posts", base_url=BASE, json=body, headers=reader.bearer
        )
    if kind in ("api_like", "api_unlike"):
        method = "PUT" if kind == "api_like" else "DELETE"
        return client.open(
            f"/api/posts/{post}/like",
            method=method,
            base_url=BASE,
            headers=reader.bearer,
        )
    if kind == "form_post":
        return client.post(
            "/", base_url=BASE, data=form | {"body": text}, headers=referer
        )
    if kind == "form_reply":
        return client.post(
            f"/post/{post}/reply",
            base_url=BASE,
            data=form | {"body": text},
            headers=referer,
        )
    if kind in ("form_like", "form_unlike"):
        return client.post(
            f"/post/{post}/{kind.removeprefix('form_')}",
            base_url=BASE,
            data=form | {"next": "/"},
            headers=referer | {"Accept": "application/json"},
        )
    if kind in ("api_feed", "api_notifications"):
        path = "/api/" + kind.removeprefix("api_")
        return client.get(path, base_url=BASE, headers=reader.bearer)
    profile = f"/user/demo{rng.randint(1, users)}"
    paths = {"feed": "/", "explore": "/explore", "profile": profile}
    if kind == "notifications":
        return client.get("/notifications", base_url=BASE)
    if kind.endswith("_deep"):
        path = paths[kind.removesuffix("_deep")] + f"?before={post}"
    else:
        path = paths[kind]
    return client.get(path, base_url=BASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="a SQLite file seeded by bench")
    parser.add_argument("-n", type=int, default=2000, help="measured requests")
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured first")
    parser.add_argument("--readers", type=int, default=40)
    parser.add_argument("--users", type=int, default=2000, help="demo1..demoN")
    parser.add_argument("--write-share", type=float, default=0.08)
    parser.add_argument("--only", action="append", help="kinds to send (repeatable)")
    parser.add_argument("--profile", action="store_true", help="cProfile the run")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    work = tempfile.TemporaryDirectory(prefix="wren-mix-cpu-")
    copy = Path(work.name) / "wren.sqlite"
    shutil.copyfile(args.database, copy)
    os.environ.update(
        WREN_CONFIG="production",
        SECRET_KEY="mix-cpu",
        PUBLIC_URL=BASE,
        DATABASE_URL=f"sqlite:///{copy}",
        WREN_INSTANCE_PATH=str(Path(work.name) / "instance"),
        LOG_LEVEL="WARNING",
        RATELIMIT_ENABLED="false",
    )
    from app import create_app
    from app.extensions import db

    app = create_app("production")
    with app.app_context():
        max_post = db.session.execute(db.text("SELECT max(id) FROM posts")).scalar()
    readers = [Reader(app, number) for number in range(1, args.readers + 1)]
    rng = random.Random(1)
    reads = {k: w for k, w in READS.items() if not args.only or k in args.only}
    writes = {k: w for k, w in WRITES.items() if not args.only or k in args.only}

    def pick(weights: dict[str, int]) -> str:
        return rng.choices(list(weights), weights=list(weights.values()))[0]

    cpu: defaultdict[str, float] = defaultdict(float)
    sent: Counter[str] = Counter()
    seq = 0

    def send() -> None:
        nonlocal seq
        seq += 1
        writing = writes and (not reads or rng.random() < args.write_share)
        kind = pick(writes) if writing else pick(reads)
        started = time.process_time()
        response = _request(rng, rng.choice(readers), kind, args.users, max_post, seq)
        cpu[kind] += time.process_time() - started
        sent[kind] += 1
        # Replies and likes to a post deleted meanwhile answer 404.
        assert response.status_code < 400 or response.status_code == 404, (
            kind,
            response.status_code,
        )

    for _ in range(args.warmup):
        send()
    cpu.clear()
    sent.clear()
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    if profiler:
        profiler.enable()
    started = time.process_time()
    for _ in range(args.n):
        send()
    total = time.process_time() - started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
    print(f"{total * 1000 / args.n:.2f} ms of CPU per request, {args.n} requests")
    for kind in sorted(cpu, key=lambda k: -cpu[k]):
        each = cpu[kind] * 1000 / sent[kind]
        print(f"  {kind:18} {sent[kind]:5}  {each:6.2f} ms  {cpu[kind] / total:6.1%}")
    work.cleanup()


if __name__ == "__main__":
    main()
