"""Keyset (cursor) pagination: every page costs the same, however deep.

A page is the ``limit`` newest rows with a key below the cursor. Rows added
while someone walks the pages get higher keys, so they never shift a page
and no row is skipped or shown twice (unlike LIMIT/OFFSET).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.models import Post

T = TypeVar("T")

# Ids are INTEGER columns, 32-bit on PostgreSQL, which rejects a larger
# parameter with an error (a 500) where SQLite would just find nothing.
MAX_CURSOR = 2**31 - 1


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def parse_cursor(value: str | None) -> int | None:
    """Turn a ``before``/``cursor`` value into an id; None or "" mean page one.

    :raises ValueError: if the value is not a whole number from 1 upwards.
    """
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit():
        raise ValueError("The cursor must be a positive whole number.")
    cursor = int(value)
    if not 1 <= cursor <= MAX_CURSOR:
        raise ValueError("The cursor must be a positive whole number.")
    return cursor


def page_of(rows: list[T], limit: int) -> Page[T]:
    """Cut ``limit + 1`` rows, newest first, into a page and its next cursor.

    The extra row tells whether another page exists without a COUNT.
    """
    if len(rows) > limit:
        items = rows[:limit]
        return Page(items=items, next_cursor=str(items[-1].id))  # type: ignore[attr-defined]
    return Page(items=rows, next_cursor=None)


def keyset_page(
    query: sa.Select[Any],
    before: int | None,
    limit: int,
    column: ColumnElement[int] | Any = None,
) -> Page[Any]:
    """Run ``query`` for one page of ORM objects, newest first.

    :param query: a ``select(Model)`` without ORDER BY or LIMIT. Its filters
        and joins choose the rows; the rows themselves are then loaded with a
        plain ``select(Model)``, so loader options on ``query`` do not apply.
    :param before: only rows whose key is below this (None: from the newest).
    :param limit: page size.
    :param column: the key column, ``Post.id`` by default. Its value must equal
        the ``id`` of the selected object (e.g. ``follows.c.follower_id`` when
        listing followers), because the next cursor is read from ``item.id``.
    """
    key = Post.id if column is None else column
    entity = query.column_descriptions[0]["entity"]
    ids = query.with_only_columns(key)
    if before is not None:
        ids = ids.where(key < before)
    ids = ids.order_by(key.desc()).limit(limit + 1)
    # Pick the ids first, then load those rows: sorting ids alone reads only
    # an index, whereas sorting whole rows would read every candidate row.
    rows = list(
        db.session.scalars(
            sa.select(entity)
            .where(entity.id.in_(ids.scalar_subquery()))
            .order_by(entity.id.desc())
        )
    )
    return page_of(rows, limit)
