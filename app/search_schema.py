"""The full-text index over post bodies, one kind per database.

SQLite: an FTS5 table ``posts_fts`` with external content (the text stays
in ``posts``; the index holds only tokens), kept in step by triggers, so
every way a post is written, edited or deleted (a page, the API, an account
deletion's cascade, the seed) updates it without any service remembering
to. PostgreSQL: a stored generated column ``posts.search_vector``
(``to_tsvector('english', body)``) with a GIN index, both maintained by the
database itself. A column rather than an index on the expression: finding
the newest matches often means testing posts newest first, and testing a
stored vector is far cheaper than parsing each body again.

Neither is part of the models: ``attach`` creates them after ``posts`` whenever the
schema is built with ``create_all`` (tests), and migration ``a3c1e5f7b9d2``
creates them in migrated databases; autogenerate is told to ignore them
(``migrations/env.py``). A batch migration that rebuilds ``posts`` on SQLite
drops its triggers: such a migration must create them again.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

FTS_TABLE = "posts_fts"
PG_COLUMN = "search_vector"
PG_INDEX = "ix_posts_search_vector"
PG_CONFIG = "'english'::regconfig"
# Building a GIN index is several times faster with room to sort in.
PG_BUILD_MEMORY = "SET LOCAL maintenance_work_mem = '256MB'"

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE posts_fts USING fts5(body, content='posts', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
)
SQLITE_TRIGGERS = {
    "posts_fts_insert": (
        "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
        "INSERT INTO posts_fts(rowid, body) VALUES (new.id, new.body); END"
    ),
    "posts_fts_delete": (
        "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
        "INSERT INTO posts_fts(posts_fts, rowid, body) "
        "VALUES ('delete', old.id, old.body); END"
    ),
    "posts_fts_update": (
        "CREATE TRIGGER posts_fts_update AFTER UPDATE OF body ON posts BEGIN "
        "INSERT INTO posts_fts(posts_fts, rowid, body) "
        "VALUES ('delete', old.id, old.body); "
        "INSERT INTO posts_fts(rowid, body) VALUES (new.id, new.body); END"
    ),
}
SQLITE_REBUILD = "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')"
PG_ADD_COLUMN = (
    f"ALTER TABLE posts ADD COLUMN {PG_COLUMN} tsvector "
    f"GENERATED ALWAYS AS (to_tsvector({PG_CONFIG}, body)) STORED"
)
PG_CREATE = f"CREATE INDEX {PG_INDEX} ON posts USING gin ({PG_COLUMN})"


def is_index_table(name: str) -> bool:
    """True for the FTS5 table and its shadow tables (autogenerate skips them)."""
    return name == FTS_TABLE or name.startswith(FTS_TABLE + "_")


def create(connection: Connection) -> None:
    """Create the index for ``connection``'s database (empty on SQLite until
    :func:`rebuild`, since rows already in ``posts`` are not in it)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(SQLITE_TABLE)
        create_maintenance(connection)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(PG_ADD_COLUMN)
        connection.exec_driver_sql(PG_CREATE)


def create_maintenance(connection: Connection) -> None:
    """What keeps the index in step: SQLite's triggers, PostgreSQL's index
    (the generated column is always right)."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(PG_BUILD_MEMORY)
        connection.exec_driver_sql(PG_CREATE)


def drop_maintenance(connection: Connection) -> None:
    """Stop keeping the index in step (a bulk load rebuilds it afterwards)."""
    if connection.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {PG_INDEX}")


def drop(connection: Connection) -> None:
    drop_maintenance(connection)
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TABLE IF EXISTS posts_fts")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"ALTER TABLE posts DROP COLUMN IF EXISTS {PG_COLUMN}"
        )


def rebuild(connection: Connection) -> None:
    """Index every post again from ``posts``."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(SQLITE_REBUILD)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(PG_BUILD_MEMORY)
        connection.exec_driver_sql(f"REINDEX INDEX {PG_INDEX}")


def restore(connection: Connection) -> None:
    """After :func:`drop_maintenance`: keep the index in step again, and
    build it from every post."""
    create_maintenance(connection)  # on PostgreSQL, builds the index
    if connection.dialect.name == "sqlite":
        rebuild(connection)


def attach(posts: sa.Table) -> None:
    """Build the index with ``posts`` in ``create_all`` and drop it with it."""

    def after_create(_table: sa.Table, connection: Connection, **_kw: object) -> None:
        create(connection)

    def before_drop(_table: sa.Table, connection: Connection, **_kw: object) -> None:
        drop(connection)

    sa.event.listen(posts, "after_create", after_create)
    sa.event.listen(posts, "before_drop", before_drop)
