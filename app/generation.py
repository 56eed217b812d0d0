"""The content generation: a number that moves whenever a page could change.

Database triggers add one to ``content_generation.value`` on every insert,
update or delete of users, posts, follows and API tokens, in the same
transaction as the change. So every writer counts, whichever process, node
or tool (the web app, ``flask users``, ``flask seed``, psql) made the change,
and a reader that sees the same number twice knows nothing a page shows has
changed in between.
The page cache (:mod:`app.page_cache`) keys rendered pages on it, and the
reader loaders (app/auth_session.py, app/services/api_tokens.py) key the
rows they load on it, with :class:`GenerationMemo`.

The row is written by upsert, so a truncated table heals on the next write;
until then :func:`peek` answers None and nothing is cached.

The trigger SQL is also frozen into the migration that added it; change both.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask import current_app, g

from app.extensions import db
from app.lru import BoundedLRU
from app.models import ContentGeneration

TRACKED_TABLES = ("users", "posts", "follows", "api_tokens")
ROW_ID = 1

# One scalar subquery, so a statement that loads the reader can carry the
# generation along: both then come from the same snapshot.
GENERATION = (
    sa.select(ContentGeneration.value)
    .where(ContentGeneration.id == ROW_ID)
    .scalar_subquery()
    .label("content_generation")
)

_BUMP = (
    "INSERT INTO content_generation (id, value) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET value = content_generation.value + 1"
)


_PEEK = "SELECT value FROM content_generation WHERE id = 1"

V = TypeVar("V")
_NOTED = "wren_generation"  # in flask.g: the generation this request goes by


def for_request() -> int | None:
    """The generation this request goes by: :func:`peek` once, then noted.

    Anything the request shows must be read after this number, so that a
    page or row is never older than the generation it is filed under (a newer
    one only means the next request misses, as the number has moved on).
    """
    if _NOTED not in g:
        setattr(g, _NOTED, peek())
    return g.get(_NOTED)


def note(value: int | None) -> None:
    """Go by ``value``, read in the same statement as rows just loaded."""
    setattr(g, _NOTED, value)


def peek() -> int | None:
    """The generation now (None if the row is missing).

    This runs on every request that shows a reader's data, before anything
    else reads the database. Through the ORM session it cost eight times the
    query itself (session, transaction, result objects), and a pool checkout
    per request still doubled it, so it runs on connections kept for it.
    Errors become SQLAlchemy's own, so a lost database still answers 503.
    """
    engine = db.engine
    kept = _PeekConnections.of(engine)
    dbapi_error = engine.dialect.loaded_dbapi.Error
    while True:
        try:
            connection, reused = kept.take()
        except dbapi_error as exc:  # connecting: the pool does not wrap these
            raise sa.exc.DBAPIError.instance(_PEEK, None, exc, dbapi_error) from exc
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(_PEEK)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except dbapi_error as exc:
            kept.discard(connection)
            if reused:  # it died while idle (a database restart): try a new one
                continue
            raise sa.exc.DBAPIError.instance(_PEEK, None, exc, dbapi_error) from exc
        kept.give_back(connection)
        return None if row is None else row[0]


class _PeekConnections:
    """A few connections for peek(), outside the engine's pool, in autocommit.

    Taken and given back per call (a deque: no lock, no pool events), so
    there are never more than the calls running at once, and threads that
    come and go (the threaded dev server) leave nothing behind. Detached
    from the pool, so they never use up the pool the ORM session draws on.
    Autocommit, so a kept PostgreSQL connection never idles in a transaction.
    Closed when the engine is disposed.
    """

    IDLE_KEPT = 4
    _by_engine: dict[int, _PeekConnections] = {}
    _guard = threading.Lock()

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.idle: deque[Any] = deque()
        sa.event.listen(engine, "engine_disposed", self.close_all)

    @classmethod
    def of(cls, engine: sa.Engine) -> _PeekConnections:
        found = cls._by_engine.get(id(engine))
        if found is None or found.engine is not engine:
            with cls._guard:
                found = cls._by_engine[id(engine)] = cls(engine)
        return found

    def take(self) -> tuple[Any, bool]:
        """A connection, and whether it was used before."""
        try:
            return self.idle.pop(), True
        except IndexError:
            pass
        fairy = self.engine.raw_connection()  # with the app's connect hooks
        fairy.detach()
        self.engine.dialect.set_isolation_level(fairy.dbapi_connection, "AUTOCOMMIT")
        return fairy, False

    def give_back(self, fairy: Any) -> None:
        if len(self.idle) < self.IDLE_KEPT:
            self.idle.append(fairy)
        else:
            fairy.close()

    def discard(self, fairy: Any) -> None:
        with contextlib.suppress(Exception):  # it is broken already
            fairy.close()

    def close_all(self, _engine: sa.Engine) -> None:
        while self.idle:
            self.discard(self.idle.pop())
        with self._guard:
            self._by_engine.pop(id(self.engine), None)


class GenerationMemo(Generic[V]):
    """A bounded LRU of values, each good only for the generation it was read at."""

    def __init__(self, maxsize: int) -> None:
        self._items: BoundedLRU[tuple[int, V]] = BoundedLRU(maxsize)

    def get(self, key: Hashable, generation: int | None) -> V | None:
        if generation is None:
            return None
        item = self._items.get(key)
        if item is None or item[0] != generation:
            return None
        return item[1]

    def put(self, key: Hashable, generation: int | None, value: V) -> None:
        if generation is not None:
            self._items.put(key, (generation, value))

    def __len__(self) -> int:
        return len(self._items)


def memo(name: str, maxsize: int) -> GenerationMemo[Any]:
    """The app's memo called ``name``, made on first use."""
    extensions = current_app.extensions
    found = extensions.get(name)
    if found is None:
        found = extensions.setdefault(name, GenerationMemo(maxsize))
    return found


def create_triggers_sql(dialect: str) -> list[str]:
    """Statements that make every change to a tracked table bump the number."""
    if dialect == "postgresql":
        # Per statement, not per row: a bulk insert bumps once.
        out = [
            "CREATE OR REPLACE FUNCTION wren_bump_generation() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {_BUMP}; RETURN NULL; END $$"
        ]
        for table in TRACKED_TABLES:
            out += [
                f"DROP TRIGGER IF EXISTS wren_generation ON {table}",
                f"CREATE TRIGGER wren_generation AFTER INSERT OR UPDATE OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION wren_bump_generation()",
            ]
        return out
    if dialect == "sqlite":
        out = []
        for table in TRACKED_TABLES:
            for event in ("insert", "update", "delete"):
                name = f"wren_generation_{table}_{event}"
                out += [
                    f"DROP TRIGGER IF EXISTS {name}",
                    f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} "
                    f"BEGIN {_BUMP}; END",
                ]
        return out
    raise NotImplementedError(f"no generation triggers for {dialect}")


def _create_triggers(
    metadata: sa.MetaData, connection: sa.Connection, **_: Any
) -> None:
    if "content_generation" not in metadata.tables:
        return
    for statement in create_triggers_sql(connection.dialect.name):
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(
        "INSERT INTO content_generation (id, value) VALUES (1, 0) "
        "ON CONFLICT (id) DO NOTHING"
    )


# db.create_all() (the test suite's schema) gets the triggers too; migrations
# create them in their own step.
sa.event.listen(db.metadata, "after_create", _create_triggers)
