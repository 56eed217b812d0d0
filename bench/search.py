"""How long a search takes, in process: p50 and p90 of one-word and
three-word searches (newest first, and one word best first), through the
page and through the service.

    python -m bench.search bench/results/wren-large.sqlite -n 200
    python -m bench.search postgresql://postgres@127.0.0.1:5432/wren -n 200

Builds the production app on a seeded database (a path is a SQLite file; a
URL is used as it is), and sends anonymous GET /search?q=... for random
words of the seed's vocabulary, each of which is in tens of thousands of
posts at 1,000,000 (the hard case for newest first: the most matches to
order). Wall time, so the database server's work counts too. Run
``flask search reindex`` (or ``flask db upgrade``) on a database seeded
before search existed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

# The seed's nouns and verbs (app/seed.py), without the little words that
# PostgreSQL's english configuration leaves out as stop words.
WORDS = [
    "coffee",
    "tea",
    "bread",
    "garden",
    "bike",
    "train",
    "walk",
    "rain",
    "sun",
    "snow",
    "wind",
    "morning",
    "evening",
    "night",
    "weekend",
    "code",
    "bug",
    "release",
    "test",
    "deploy",
    "book",
    "film",
    "song",
    "album",
    "concert",
    "cat",
    "dog",
    "bird",
    "wren",
    "river",
    "hill",
    "city",
    "park",
    "market",
    "kitchen",
    "window",
    "desk",
    "meeting",
    "idea",
    "plan",
    "trip",
    "note",
    "list",
    "question",
    "answer",
    "friend",
    "neighbour",
    "team",
    "project",
]


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p90 in milliseconds."""
    deciles = statistics.quantiles(samples, n=10, method="inclusive")
    return statistics.median(samples) * 1000, deciles[8] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a SQLite file or a database URL")
    parser.add_argument("-n", type=int, default=200, help="searches per kind")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    url = args.database
    if "://" not in url:
        url = f"sqlite:///{Path(url).resolve()}"
    instance = tempfile.TemporaryDirectory(prefix="wren-search-bench-")
    os.environ.update(
        WREN_CONFIG="production",
        SECRET_KEY="benchmarking",
        PUBLIC_URL="https://localhost",
        DATABASE_URL=url,
        WREN_INSTANCE_PATH=instance.name,
        LOG_LEVEL="WARNING",
    )
    from app import create_app
    from app.services import search

    app = create_app("production")
    client = app.test_client()
    rng = random.Random(args.seed)  # noqa: S311 (benchmark input, not secrets)
    kinds = {
        "one word": (lambda: rng.choice(WORDS), "newest"),
        "three words": (lambda: " ".join(rng.sample(WORDS, 3)), "newest"),
        # Best first ranks the newest MAX_RANKED matches.
        "one word, best": (lambda: rng.choice(WORDS), "best"),
    }
    print(f"{url.split('://')[0]}, {args.n} searches per kind, wall time")
    for kind, (make, sort) in kinds.items():
        # warm up: the first request builds what every later one reuses
        client.get(
            "/search",
            query_string={"q": make(), "sort": sort},
            base_url="https://localhost",
        )
        page_times: list[float] = []
        service_times: list[float] = []
        for _ in range(args.n):
            q = make()
            started = time.perf_counter()
            response = client.get(
                "/search",
                query_string={"q": q, "sort": sort},
                base_url="https://localhost",
            )
            page_times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            with app.app_context():
                started = time.perf_counter()
                found = search.post_page(q, None, 25, sort=sort)
                service_times.append(time.perf_counter() - started)
                assert found.items, q  # the seed's words are everywhere
        for label, samples in (("page", page_times), ("query", service_times)):
            p50, p90 = percentiles(samples)
            print(f"  {kind:15} {label:6} p50 {p50:7.1f} ms   p90 {p90:7.1f} ms")
    instance.cleanup()


if __name__ == "__main__":
    main()
