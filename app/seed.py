"""Demo data for `flask seed`: users, posts, replies, follows and likes in bulk.

Rows go in through Core ``executemany`` in chunks (on PostgreSQL through the
driver's binary COPY, the same rows in the same order), skipping the ORM's
unit of work, which is what makes a million posts take seconds rather than
minutes. Posts are generated oldest first so that id order equals time order,
as the pages (newest first by id) assume.

Replies and likes are planned before the first post is written: which posts
answer which earlier ones and how many likes each post gets. The posts then
go in with their ids, ``in_reply_to_id``, ``reply_count`` and ``like_count``
already right, so no statement has to count or correct anything afterwards,
and the likes follow post by post, each post's likers distinct by
construction.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from app.db_types import utcnow
from app.extensions import db
from app.models import Like, Post, User, follows, table_of
from app.services import search

DEFAULT_PASSWORD = "wren-demo-password"  # noqa: S105 (documented demo password)
CHUNK = 20_000
# One post every few minutes on average, but never spread over more than a
# year, so timestamps look like a lived-in site at any size.
MAX_SPAN = timedelta(days=365)
MEAN_GAP = timedelta(minutes=5)
# A reply answers a recent post: on average this many posts back in time.
REPLY_DISTANCE = 50
# Each post's likers are an arithmetic progression over the demo users with
# a random start and one of these many random steps (see _like_rows).
STRIDES = 64

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

_POSTS = table_of(Post)
_LIKES = table_of(Like)
_POST_COLUMNS = (
    "id",
    "body",
    "created_at",
    "user_id",
    "in_reply_to_id",
    "reply_count",
    "like_count",
)


class SeedError(Exception):
    """Seeding cannot go ahead; the message says why."""


@dataclass
class SeedResult:
    users: int
    posts: int
    follows: int
    seconds: float
    replies: int = 0
    likes: int = 0
    # Seconds per step: users, posts (replies included), search index,
    # follows, likes, analyze.
    steps: dict[str, float] = field(default_factory=dict)


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
    likes: int = 0,
    replies: int = 0,
) -> SeedResult:
    """Add ``users`` demo users, ``posts`` posts, follows and likes.

    Adds to what the database already holds. Demo users are demo1..demoN,
    all with ``password`` (hashed once); the command refuses if one of those
    names is taken. ``replies`` of the new posts answer an earlier new post
    (a lower id); ``likes`` likes by demo users are spread over the new
    posts, at most one per person and post and none by a post's author.
    Every post's ``reply_count`` and ``like_count`` match those rows.
    ``progress`` is called with the number of rows written after each chunk.

    :raises SeedError: if the arguments or the database do not allow it.
    """
    _check_sizes(users, posts, follows_per_user, likes, replies)
    started = time.perf_counter()
    steps: dict[str, float] = {}
    clock = started
    rng = random.Random(random_seed)  # noqa: S311 (demo data, not secrets)

    def step_done(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[name] = round(now - clock, 2)
        clock = now

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
    step_done("users")

    # The plan draws from random streams of its own, so a seed without
    # replies or likes writes the same posts as before they existed.
    plan = _plan(
        _derived(random_seed, "plan"), rng, len(ids), posts, likes, replies, start, now
    )

    as_db_time = _time_converter()
    written = 0
    # The search index is built once after the load, not row by row.
    with search.index_set_aside(), _bulk_load(_POSTS):
        # Explicit ids, so a reply can name its parent in the same insert;
        # nobody else can take an id until the load commits.
        first_id = _next_id(_POSTS)
        insert_posts = _raw_insert(_POSTS, _POST_COLUMNS)
        post_rows = _post_rows(rng, ids, plan, first_id, as_db_time)
        for batch in _chunks(post_rows, CHUNK):
            insert_posts(batch)
            written += len(batch)
            progress(len(batch))
        _ids_taken(_POSTS, first_id, first_id + written - 1)
        step_done("posts")
    step_done("search index")

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
    step_done("follows")

    like_count = 0
    if likes:
        like_batches = _like_batches(
            _derived(random_seed, "likes"), ids, plan, first_id, as_db_time
        )
        with _bulk_load(_LIKES):
            insert_likes = _raw_insert(_LIKES, ("user_id", "post_id", "created_at"))
            for batch in like_batches:
                insert_likes(batch)
                like_count += len(batch)
                progress(len(batch))
        step_done("likes")

    _analyze()
    step_done("analyze")
    return SeedResult(
        users,
        written,
        follow_count,
        time.perf_counter() - started,
        replies=replies,
        likes=like_count,
        steps=steps,
    )


def _check_sizes(
    users: int, posts: int, follows_per_user: int, likes: int, replies: int
) -> None:
    if users < 1:
        raise SeedError("--users must be at least 1.")
    if min(posts, follows_per_user, likes, replies) < 0:
        raise SeedError("--posts, --follows, --likes and --replies cannot be negative.")
    if follows_per_user > users - 1:
        raise SeedError(
            f"--follows can be at most {users - 1}: each user can follow "
            "everyone else but not themselves."
        )
    if replies > max(posts - 1, 0):
        raise SeedError(
            f"--replies can be at most {max(posts - 1, 0)}: a reply answers an "
            "earlier post, and the first post has none before it."
        )
    if likes > posts * (users - 1):
        raise SeedError(
            f"--likes can be at most {posts * (users - 1):,}: each post can be "
            "liked once by each demo user but its author."
        )


def total_rows(users: int, posts: int, follows_per_user: int, likes: int = 0) -> int:
    return users + posts + users * follows_per_user + likes


def _derived(random_seed: int | None, purpose: str) -> random.Random:
    """A random stream of its own for ``purpose``, as reproducible as the
    main one."""
    if random_seed is None:
        return random.Random()  # noqa: S311 (demo data, not secrets)
    return random.Random(f"{random_seed}:{purpose}")  # noqa: S311


@dataclass
class _Plan:
    """What the new posts will be, by position (0 = oldest new post)."""

    authors: list[int]  # positions in the list of demo user ids
    parents: list[int | None]  # position of the post each one answers
    reply_counts: list[int]
    like_counts: list[int]
    origin: float  # POSIX time of position 0
    step: float  # seconds between posts, on average


def _plan(
    rng: random.Random,
    author_rng: random.Random,
    n_users: int,
    count: int,
    likes: int,
    replies: int,
    start: datetime,
    end: datetime,
) -> _Plan:
    # Busy authors and quiet ones, as on real sites, but at most about ten
    # times apart so no demo account's pages are unlike the others'.
    offset = n_users // 10 + 1
    weights = [1.0 / (rank + offset) for rank in range(n_users)]
    authors = author_rng.choices(range(n_users), weights=weights, k=count)
    parents: list[int | None] = [None] * count
    reply_counts = [0] * count
    if replies:
        expovariate = rng.expovariate
        for i in rng.sample(range(1, count), replies):
            parent = max(0, i - 1 - int(expovariate(1 / REPLY_DISTANCE)))
            parents[i] = parent
            reply_counts[parent] += 1
    return _Plan(
        authors=authors,
        parents=parents,
        reply_counts=reply_counts,
        like_counts=_spread(rng, likes, count, n_users - 1),
        origin=start.timestamp(),
        step=(end - start).total_seconds() / count if count else 0.0,
    )


def _spread(rng: random.Random, total: int, slots: int, cap: int) -> list[int]:
    """``slots`` counts from 0 to ``cap`` that add up to ``total``.

    Drawn from an exponential distribution with the right mean (many posts
    get a few likes, some get many), then corrected one at a time on random
    slots until the sum is exact; a sweep finishes what random picks cannot
    (when nearly every slot is full or empty).
    """
    if total == 0 or slots == 0:
        return [0] * slots
    rate = slots / total
    expovariate = rng.expovariate
    counts = [min(cap, int(expovariate(rate) + 0.5)) for _ in range(slots)]
    diff = total - sum(counts)
    change, limit = (1, cap) if diff > 0 else (-1, 0)
    randrange = rng.randrange
    for _ in range(4 * abs(diff)):
        if not diff:
            break
        i = randrange(slots)
        if counts[i] != limit:
            counts[i] += change
            diff -= change
    i = randrange(slots)
    while diff:
        if counts[i] != limit:
            counts[i] += change
            diff -= change
        i = (i + 1) % slots
    return counts


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


def _next_id(table: sa.Table) -> int:
    """The first id ``table`` has never handed out (ids are never reused:
    above the highest row and above what AUTOINCREMENT or the sequence gave)."""
    connection = db.session.connection()
    highest = connection.scalar(sa.select(sa.func.max(table.c.id))) or 0
    given = 0
    if connection.dialect.name == "sqlite":
        given = (
            connection.exec_driver_sql(
                "SELECT seq FROM sqlite_sequence WHERE name = ?", (table.name,)
            ).scalar()
            or 0
        )
    elif connection.dialect.name == "postgresql":
        # Takes one value: a gap in the ids, never a reused one.
        given = (
            connection.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", (table.name,)
            ).scalar_one()
            - 1
        )
    return max(highest, given) + 1


def _ids_taken(table: sa.Table, first_id: int, last_id: int) -> None:
    """After rows with explicit ids ``first_id``..``last_id``: the sequence
    goes on above them (SQLite's AUTOINCREMENT follows explicit ids itself)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql" and last_id >= first_id:
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
            (table.name, last_id),
        )


def _post_rows(
    rng: random.Random,
    ids: list[int],
    plan: _Plan,
    first_id: int,
    as_db_time: Callable[[float], object],
) -> Iterator[tuple[object, ...]]:
    if not plan.authors:
        return
    # Random word salad per post costs more than the insert itself; gluing
    # two phrases from pools gives millions of different bodies cheaply.
    firsts = [_phrase(rng, 3, 12).capitalize() for _ in range(4096)]
    seconds = [_phrase(rng, 1, 10) for _ in range(4096)]
    bits, random_ = rng.getrandbits, rng.random
    origin, step = plan.origin, plan.step
    parents, replies, likes = plan.parents, plan.reply_counts, plan.like_counts
    for i, author in enumerate(plan.authors):
        r = bits(24)
        body = f"{firsts[r & 4095]} {seconds[r >> 12]}{ENDINGS[i % len(ENDINGS)]}"
        parent = parents[i]
        yield (
            first_id + i,
            body,
            as_db_time(origin + step * (i + random_() * 0.9)),
            ids[author],
            None if parent is None else first_id + parent,
            replies[i],
            likes[i],
        )


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


def _like_batches(
    rng: random.Random,
    ids: list[int],
    plan: _Plan,
    first_id: int,
    as_db_time: Callable[[float], object],
) -> Iterator[list[tuple[object, ...]]]:
    """Each post's likes, oldest post first, by distinct users, never its
    author, in batches of about ``CHUNK`` rows.

    A post with k likes is liked by the users at positions s, s+d, s+2d, ...
    (modulo the number of users n), with s random and d a random step
    coprime to n, so the first n positions are all different: distinct
    without a set to check against. The author's place in that sequence is
    known in advance (d has an inverse modulo n), and is stepped over. All
    of a post's likes carry one time, just after the post's and before the
    next post's, so like ids are in time order too. Rows are made a post at
    a time by comprehensions, not one by one: at millions of likes, making
    them costs as much as a fifth of inserting them.
    """
    n = len(ids)
    if n < 2:
        return
    coprime = [d for d in range(1, n) if math.gcd(d, n) == 1]
    strides = [(d, pow(d, -1, n)) for d in rng.choices(coprime, k=STRIDES)]
    random_ = rng.random
    origin, step = plan.origin, plan.step
    batch: list[tuple[object, ...]] = []
    for i, (k, author) in enumerate(zip(plan.like_counts, plan.authors, strict=True)):
        if not k:
            continue
        # One draw for both the start and the step.
        pick = int(random_() * n * STRIDES)
        s = pick % n
        d, inverse = strides[pick // n]
        # The author's place in the sequence: when it falls in the first k,
        # the sequence goes one further and steps over it.
        skip = (author - s) * inverse % n
        if skip < k:
            likers = [ids[p % n] for p in range(s, s + (k + 1) * d, d)]
            del likers[skip]
        else:
            likers = [ids[p % n] for p in range(s, s + k * d, d)]
        at = as_db_time(origin + step * (i + 0.95))
        batch.extend(zip(likers, repeat(first_id + i), repeat(at)))
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# PostgreSQL's binary COPY needs each column's type by name.
_COPY_TYPES = {
    "INTEGER": "int4",
    "BIGINT": "int8",
    "VARCHAR": "text",
    "TEXT": "text",
    "BOOLEAN": "bool",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}


def _raw_insert(
    table: sa.Table, columns: tuple[str, ...]
) -> Callable[[list[tuple[object, ...]]], None]:
    """An executemany that skips SQLAlchemy's per-value type processing.

    Values must already be in the driver's form (see ``_time_converter``).
    On PostgreSQL the rows go through the driver's binary COPY instead: an
    executemany there costs a round of statement work per row, and COPY
    loads the same rows several times faster.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        return _copy_insert(connection, table, columns)
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 (our names)
        f"VALUES ({', '.join([mark] * len(columns))})"
    )

    def run(rows: list[tuple[object, ...]]) -> None:
        connection.exec_driver_sql(sql, rows)

    return run


def _copy_insert(
    connection: sa.Connection, table: sa.Table, columns: tuple[str, ...]
) -> Callable[[list[tuple[object, ...]]], None]:
    types = []
    for name in columns:
        compiled = table.c[name].type.compile(dialect=connection.dialect)
        types.append(_COPY_TYPES[compiled.split("(")[0]])
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    # The session's own connection, so the rows join its transaction.
    driver: Any = connection.connection.driver_connection

    def run(rows: list[tuple[object, ...]]) -> None:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)

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
def _bulk_load(table: sa.Table) -> Iterator[None]:
    """Load ``table`` in bulk without checking row by row what the seed
    guarantees by construction; commit at the end.

    Secondary indexes are dropped and built again at the end: building one
    from sorted data is about twice as fast as updating it row by row. On
    PostgreSQL the unique and foreign-key constraints go too and come back
    with ALTER TABLE, which checks every row in one pass (per-row foreign-key
    triggers made 5,000,000 likes take minutes); the whole load is one
    transaction, so a failure leaves the table as it was. SQLite cannot drop
    a table's constraints, so there the connection's foreign-key checks are
    off for the load instead (the unique index stays, and is checked), and
    the load is one immediate transaction too. Either way nobody else
    writes to the table until the load commits.
    """
    db.session.commit()  # the load starts a transaction of its own
    connection = db.session.connection()
    dialect = connection.dialect.name
    indexes = list(table.indexes)
    constraints: list[sa.Constraint] = []
    raw: Any = connection.connection.driver_connection
    if dialect == "sqlite":
        _tune_for_bulk_load(raw)
        # Only outside a transaction does this pragma take effect.
        raw.execute("PRAGMA foreign_keys = OFF")
        # pysqlite would begin one only at the first INSERT, after the DROP
        # INDEX below had committed on its own.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        constraints = [
            c
            for c in table.constraints
            if isinstance(c, sa.UniqueConstraint | sa.ForeignKeyConstraint)
        ]
        for constraint in constraints:
            connection.execute(sa.schema.DropConstraint(constraint))
    for index in indexes:
        index.drop(connection, checkfirst=True)
    try:
        yield
        for index in indexes:
            index.create(connection)
        for constraint in constraints:
            connection.execute(sa.schema.AddConstraint(constraint))
        db.session.commit()
    except BaseException:
        db.session.rollback()  # the dropped indexes and constraints come back
        raise
    finally:
        if dialect == "sqlite":
            raw.execute("PRAGMA foreign_keys = ON")


def _tune_for_bulk_load(raw: Any) -> None:
    """Give SQLite a large page cache while seeding (this connection only).

    Posts arrive in id order but with random authors, so the (user_id, id)
    index is written all over, as is the (user_id, post_id) one of likes;
    with the default 2 MB cache most of those writes would go to the disk
    and back.
    """
    raw.execute("PRAGMA cache_size = -262144")  # 256 MB


def _analyze() -> None:
    """Refresh planner statistics so the indexes are used well at any size."""
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
