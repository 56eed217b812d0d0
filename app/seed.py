"""Demo data for `flask seed`: users, posts and follows in bulk.

Rows go in through Core ``executemany`` in chunks, skipping the ORM's unit of
work, which is what makes a million posts take seconds rather than minutes.
Posts are generated oldest first so that id order equals time order, as the
pages (newest first by id) assume.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from app.db_types import utcnow
from app.extensions import db
from app.models import Post, User, follows, table_of

DEFAULT_PASSWORD = "wren-demo-password"  # noqa: S105 (documented demo password)
CHUNK = 20_000
# One post every few minutes on average, but never spread over more than a
# year, so timestamps look like a lived-in site at any size.
MAX_SPAN = timedelta(days=365)
MEAN_GAP = timedelta(minutes=5)

_TEXT = (
    "the a my our this that today tomorrow finally just really quite so very "
    "coffee tea bread garden bike train walk rain sun snow wind morning evening "
    "night weekend code bug release test deploy book film song album concert "
    "cat dog bird wren river hill city park market kitchen window desk meeting "
    "idea plan trip note list question answer friend neighbour team project "
    "is was feels looks sounds went made found read wrote fixed broke started "
    "finished loved missed learned shipped tried cooked planted painted "
    "new old small big quiet busy bright slow quick lovely strange good great "
    "and but with without before after during again still already maybe "
    "here there home outside everywhere"
)
WORDS = tuple(_TEXT.split())
ENDINGS = (".", ".", ".", "!", "?", " :)", "…")


class SeedError(Exception):
    """Seeding cannot go ahead; the message says why."""


@dataclass
class SeedResult:
    users: int
    posts: int
    follows: int
    seconds: float


Progress = Callable[[int], None]
T = TypeVar("T")


def _nothing(_n: int) -> None:
    return None


def seed(
    users: int,
    posts: int,
    follows_per_user: int,
    password: str = DEFAULT_PASSWORD,
    random_seed: int | None = 1,
    progress: Progress = _nothing,
) -> SeedResult:
    """Add ``users`` demo users, ``posts`` posts and follows to the database.

    Adds to what the database already holds. Demo users are demo1..demoN,
    all with ``password`` (hashed once); the command refuses if one of those
    names is taken. ``progress`` is called with the number of rows written
    after each chunk.

    :raises SeedError: if the arguments or the database do not allow it.
    """
    if users < 1:
        raise SeedError("--users must be at least 1.")
    if posts < 0 or follows_per_user < 0:
        raise SeedError("--posts and --follows cannot be negative.")
    if follows_per_user > users - 1:
        raise SeedError(
            f"--follows can be at most {users - 1}: each user can follow "
            "everyone else but not themselves."
        )
    started = time.perf_counter()
    rng = random.Random(random_seed)  # noqa: S311 (demo data, not secrets)

    names = [f"demo{i}" for i in range(1, users + 1)]
    taken = _taken_names(names)
    if taken:
        raise SeedError(
            f"{len(taken)} demo user(s) already exist (e.g. {taken[0]}). "
            "Seed an empty database, or remove them first."
        )

    now = utcnow()
    span = min(MAX_SPAN, MEAN_GAP * max(posts, 1))
    start = _after_existing_posts(now - span, now)
    password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )

    user_rows = [
        {
            "username": name,
            "username_key": name,  # bulk inserts skip the model's validator
            "email": f"{name}@example.com",
            "password_hash": password_hash,
            "about_me": f"Demo account number {i}.",
            "created_at": start - timedelta(days=1, seconds=users - i),
            "last_seen": now,
            "email_confirmed_at": start,
            "is_admin": False,
        }
        for i, name in enumerate(names, 1)
    ]
    try:
        for chunk in _chunks(user_rows, CHUNK):
            db.session.execute(sa.insert(table_of(User)), chunk)
            progress(len(chunk))
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise SeedError(
            "A demo user's name or address (demoN@example.com) is already "
            "taken. Seed an empty database, or remove those accounts first."
        ) from None
    ids = _ids_in_name_order(names)

    _tune_for_bulk_load()
    insert_posts = _raw_insert(table_of(Post), ("body", "created_at", "user_id"))
    as_db_time = _time_converter()
    written = 0
    with _indexes_dropped(table_of(Post)):
        post_rows = _post_rows(rng, ids, posts, start, now, as_db_time)
        for batch in _chunks(post_rows, CHUNK):
            insert_posts(batch)
            written += len(batch)
            progress(len(batch))
        db.session.commit()

    insert_follows = _raw_insert(follows, ("follower_id", "followed_id", "created_at"))
    follow_count = 0
    follow_rows = _follow_rows(
        rng, ids, follows_per_user, as_db_time(start.timestamp())
    )
    for batch in _chunks(follow_rows, CHUNK):
        insert_follows(batch)
        follow_count += len(batch)
        progress(len(batch))
    db.session.commit()

    _analyze()
    return SeedResult(users, written, follow_count, time.perf_counter() - started)


def total_rows(users: int, posts: int, follows_per_user: int) -> int:
    return users + posts + users * follows_per_user


def _ids_in_name_order(names: list[str]) -> list[int]:
    """Ids of the new users, demo1 first (someone may have registered
    meanwhile, so the ids need not be consecutive)."""
    by_name: dict[str, int] = {}
    for chunk in _chunks(names, 500):
        rows = db.session.execute(
            sa.select(User.username_key, User.id).where(User.username_key.in_(chunk))
        )
        by_name.update((name, uid) for name, uid in rows)
    return [by_name[name] for name in names]


def _taken_names(names: list[str]) -> list[str]:
    taken: list[str] = []
    for chunk in _chunks(names, 500):
        taken.extend(
            db.session.scalars(
                sa.select(User.username_key).where(User.username_key.in_(chunk))
            )
        )
    return sorted(taken)


def _after_existing_posts(start: datetime, now: datetime) -> datetime:
    """Start after the newest post, so new ids stay in time order."""
    newest = db.session.scalar(sa.select(sa.func.max(Post.id)))
    if newest is None:
        return start
    newest_at = db.session.scalar(sa.select(Post.created_at).where(Post.id == newest))
    if newest_at is not None and newest_at > start:
        return min(newest_at, now)
    return start


def _post_rows(
    rng: random.Random,
    ids: list[int],
    count: int,
    start: datetime,
    end: datetime,
    as_db_time: Callable[[float], object],
) -> Iterator[tuple[object, ...]]:
    if count == 0:
        return
    step = (end - start).total_seconds() / count
    # Busy authors and quiet ones, as on real sites, but at most about ten
    # times apart so no demo account's pages are unlike the others'.
    offset = len(ids) // 10 + 1
    weights = [1.0 / (rank + offset) for rank in range(len(ids))]
    authors = rng.choices(ids, weights=weights, k=count)
    # Random word salad per post costs more than the insert itself; gluing
    # two phrases from pools gives millions of different bodies cheaply.
    firsts = [_phrase(rng, 3, 12).capitalize() for _ in range(4096)]
    seconds = [_phrase(rng, 1, 10) for _ in range(4096)]
    bits, random_ = rng.getrandbits, rng.random
    origin = start.timestamp()
    for i, author in enumerate(authors):
        r = bits(24)
        body = f"{firsts[r & 4095]} {seconds[r >> 12]}{ENDINGS[i % len(ENDINGS)]}"
        yield (body, as_db_time(origin + step * (i + random_() * 0.9)), author)


def _phrase(rng: random.Random, shortest: int, longest: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(shortest, longest)))


def _follow_rows(
    rng: random.Random, ids: list[int], per_user: int, created_at: object
) -> Iterator[tuple[object, ...]]:
    if per_user == 0:
        return
    for follower in ids:
        picked: set[int] = set()
        while len(picked) < per_user:
            other = ids[rng.randrange(len(ids))]
            if other != follower:
                picked.add(other)
        for followed in sorted(picked):
            yield (follower, followed, created_at)


def _chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _raw_insert(
    table: sa.Table, columns: tuple[str, ...]
) -> Callable[[list[tuple[object, ...]]], None]:
    """An executemany that skips SQLAlchemy's per-value type processing.

    Values must already be in the driver's form (see ``_time_converter``).
    """
    connection = db.session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 (our names)
        f"VALUES ({', '.join([mark] * len(columns))})"
    )

    def run(rows: list[tuple[object, ...]]) -> None:
        connection.exec_driver_sql(sql, rows)

    return run


def _time_converter() -> Callable[[float], object]:
    """Turn POSIX timestamps into what app.db_types.UTCDateTime would store."""
    if db.session.connection().dialect.name != "sqlite":
        return lambda ts: datetime.fromtimestamp(ts, UTC)  # the driver takes these
    # SQLAlchemy's SQLite DATETIME text: naive UTC with microseconds. Adding
    # to a naive epoch is several times cheaper than converting time zones.
    epoch = datetime(1970, 1, 1)  # naive on purpose: the column stores naive UTC
    return lambda ts: (epoch + timedelta(seconds=ts)).isoformat(" ", "microseconds")


@contextmanager
def _indexes_dropped(table: sa.Table) -> Iterator[None]:
    """Drop ``table``'s secondary indexes for a bulk load, then rebuild them.

    Building an index once from sorted data is about twice as fast as
    updating it row by row; the finally clause puts the indexes back even
    if the load fails.
    """
    connection = db.session.connection()
    indexes = list(table.indexes)
    for index in indexes:
        index.drop(connection, checkfirst=True)
    try:
        yield
    finally:
        db.session.rollback()  # nothing half-written keeps a transaction open
        connection = db.session.connection()
        for index in indexes:
            index.create(connection, checkfirst=True)
        db.session.commit()


def _tune_for_bulk_load() -> None:
    """Give SQLite a large page cache while seeding (this connection only).

    Posts arrive in id order but with random authors, so the (user_id, id)
    index is written all over; with the default 2 MB cache most of those
    writes would go to the disk and back.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MB


def _analyze() -> None:
    """Refresh planner statistics so the indexes are used well at any size."""
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
