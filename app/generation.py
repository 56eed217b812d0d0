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

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
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


def peek() -> int | None:
    """The generation now (None if the row is missing).

    Read on a DBAPI connection kept for it, one per thread.

    This runs on every logged-in request, before anything else reads the
    database. Through the ORM session it cost eight times the query itself
    (session, transaction, result objects), and a pool checkout per request
    still doubled it. Errors become SQLAlchemy's own, so a lost database
    still answers 503, and the connection is dropped and made afresh.
    """
    engine = db.engine
    kept = _PeekConnections.of(engine)
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        connection = kept.connection()
        cursor = connection.cursor()
        try:
            cursor.execute(_PEEK)
            row = cursor.fetchone()
        finally:
            cursor.close()
    except dbapi_error as exc:
        kept.drop()
        raise sa.exc.DBAPIError.instance(_PEEK, None, exc, dbapi_error) from exc
    return None if row is None else row[0]


class _PeekConnections:
    """Pool connections checked out for good, one per thread, in autocommit.

    Autocommit, so a kept PostgreSQL connection never idles in a transaction.
    Each is invalidated (closed, never reused) when its engine is disposed.
    """

    _by_engine: dict[int, _PeekConnections] = {}
    _guard = threading.Lock()

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.local = threading.local()
        self.all: list[Any] = []
        self.lock = threading.Lock()
        sa.event.listen(engine, "engine_disposed", self.close_all)

    @classmethod
    def of(cls, engine: sa.Engine) -> _PeekConnections:
        found = cls._by_engine.get(id(engine))
        if found is None or found.engine is not engine:
            with cls._guard:
                found = cls._by_engine[id(engine)] = cls(engine)
        return found

    def connection(self) -> Any:
        fairy = getattr(self.local, "fairy", None)
        if fairy is None:
            fairy = self.engine.raw_connection()
            self.engine.dialect.set_isolation_level(
                fairy.dbapi_connection, "AUTOCOMMIT"
            )
            self.local.fairy = fairy
            with self.lock:
                self.all.append(fairy)
        return fairy.dbapi_connection

    def drop(self) -> None:
        fairy = getattr(self.local, "fairy", None)
        self.local.fairy = None
        if fairy is not None:
            with self.lock:
                self.all.remove(fairy)
            fairy.invalidate()

    def close_all(self, _engine: sa.Engine) -> None:
        with self.lock:
            kept, self.all = self.all, []
        for fairy in kept:
            fairy.invalidate()
        self.local = threading.local()
        with self._guard:
            self._by_engine.pop(id(self.engine), None)


class GenerationMemo(Generic[V]):
    """A bounded LRU of values, each good only for the generation it was read at.

    Thread-safe: gthread workers share one per process.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, tuple[int, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, generation: int | None) -> V | None:
        if generation is None:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != generation:
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: Hashable, generation: int | None, value: V) -> None:
        if generation is None:
            return
        with self._lock:
            self._items[key] = (generation, value)
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

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
