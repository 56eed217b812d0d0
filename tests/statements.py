"""Count the SQL statements a piece of test code makes the app run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask

from app.extensions import db


@contextmanager
def count_statements(app: Flask) -> Iterator[list[str]]:
    """Yield a list that collects every statement sent to ``app``'s engine."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
