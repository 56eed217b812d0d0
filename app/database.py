"""Per-connection database settings and health checks."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db

_listening = False


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    from flask import current_app

    try:
        timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"]
    except RuntimeError:  # connection opened outside an app context
        timeout = 5000
    cursor = dbapi_connection.cursor()
    # WAL lets readers and one writer work at once; NORMAL sync is safe in WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def init_app(app: Flask) -> None:
    global _listening
    if not _listening:
        sa.event.listen(sa.engine.Engine, "connect", _on_connect)
        _listening = True


def database_is_ready() -> bool:
    """Return True when a trivial query succeeds within the connect timeout."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
    finally:
        db.session.remove()
    return True


def insert_or_ignore(table: sa.Table) -> sa.Insert:
    """An INSERT that skips rows breaking a unique constraint, in one statement.

    Two requests at once (a double click, two tabs) then both succeed and
    add one row.
    """
    if db.engine.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def add_unless_present(table: sa.Table, **values: Any) -> bool:
    """Insert one row with :func:`insert_or_ignore`; True if this call added it.

    Asks with RETURNING, which both databases answer with no row for a
    skipped insert; an INSERT's rowcount is not reliable through every
    driver (psycopg reports -1).
    """
    key = next(iter(table.primary_key.columns))
    statement = insert_or_ignore(table).values(**values).returning(key)
    return db.session.execute(statement).first() is not None
