"""Private messages between two users.

Each message is one row in ``messages``. Each side of a conversation also
has a summary row in ``conversations`` (owner, other, last message, unread
count), written in the same transaction as the message, in one upsert for
both sides. The conversations list and the unread badge read only those
summaries through their indexes, so their cost follows the number of
conversations on a page, never the number of messages.

Only the two people in a conversation can reach it: every read here is
keyed by the reader's own id, so no argument can name somebody else's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app import validation
from app.db_types import utcnow
from app.extensions import db
from app.models import Conversation, Message, User, table_of
from app.pagination import Page, page_of
from app.services import blocks
from app.services.errors import DomainError, NotFound, checked

CANNOT_MESSAGE_SELF = "You cannot send a message to yourself."
NO_SUCH_USER = "There is no such user."
_MESSAGES = table_of(Message)
_CONVERSATIONS = table_of(Conversation)
_USERS = table_of(User)
# A literal, not a bound parameter: SQLite uses a partial index only when
# the query repeats its condition with the same constant.
_HAS_UNREAD = _CONVERSATIONS.c.unread > sa.literal_column("0")


@dataclass(frozen=True)
class MessageView:
    id: int
    sender_id: int
    recipient_id: int
    body: str
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class ConversationView:
    """One line of the conversations list: the other person, the newest
    message either of them wrote, and how many of theirs are unread."""

    other_id: int
    other_username: str
    other_email: str  # only for the avatar
    unread: int
    last: MessageView
    other_avatar: str | None = None  # an uploaded avatar's name


def send(sender: User, recipient: User, body: str) -> MessageView:
    """Send ``body`` (trimmed, 1–1000 characters) from ``sender`` to
    ``recipient`` and bring both sides' conversation summaries up to date.

    :raises DomainError: with field "body" when the text is empty, too long
        or holds control characters, or when ``recipient`` is ``sender``.
    :raises NotFound: when the recipient's account is gone.
    :raises Forbidden: when a block stands between the two.
    """
    if recipient.id == sender.id:
        raise DomainError(CANNOT_MESSAGE_SELF, "body")
    blocks.refuse_if_blocked(sender.id, recipient.id)
    body = checked(validation.clean_message_body, "body", body)
    now = utcnow()
    try:
        message_id = db.session.execute(
            sa.insert(_MESSAGES)
            .values(
                sender_id=sender.id,
                recipient_id=recipient.id,
                body=body,
                created_at=now,
                read=False,
            )
            .returning(_MESSAGES.c.id)
        ).scalar_one()
        _summarise(sender.id, recipient.id, message_id)
        db.session.commit()
    except sa.exc.IntegrityError:
        # The recipient deleted their account a moment ago.
        db.session.rollback()
        raise NotFound(NO_SUCH_USER) from None
    return MessageView(message_id, sender.id, recipient.id, body, now, False)


def _summarise(sender_id: int, recipient_id: int, message_id: int) -> None:
    """Point both sides' summaries at the new message, and count it unread
    for the recipient, in one INSERT … ON CONFLICT DO UPDATE.

    One statement for both rows, taken in owner order, so two people writing
    to each other at once lock the rows in the same order (no deadlock on
    PostgreSQL), and a double send adds up instead of failing on the key.
    """
    rows = sorted(
        [
            {
                "owner_id": sender_id,
                "other_id": recipient_id,
                "last_message_id": message_id,
                "unread": 0,
            },
            {
                "owner_id": recipient_id,
                "other_id": sender_id,
                "last_message_id": message_id,
                "unread": 1,
            },
        ],
        key=lambda row: row["owner_id"],
    )
    insert = _upsert().values(rows)
    last = _CONVERSATIONS.c.last_message_id
    statement = insert.on_conflict_do_update(
        index_elements=[_CONVERSATIONS.c.owner_id, _CONVERSATIONS.c.other_id],
        set_={
            "unread": _CONVERSATIONS.c.unread + insert.excluded.unread,
            # Two sends at once may commit out of id order: keep the newest.
            "last_message_id": sa.case(
                (
                    insert.excluded.last_message_id > last,
                    insert.excluded.last_message_id,
                ),
                else_=last,
            ),
        },
    )
    db.session.execute(statement)


def _upsert() -> Any:
    if db.engine.dialect.name == "postgresql":
        return postgresql.insert(_CONVERSATIONS)
    return sqlite.insert(_CONVERSATIONS)


def mark_read(reader: User, other: User) -> bool:
    """Mark what ``other`` wrote to ``reader`` as read; True if anything was
    unread.

    Most openings find nothing unread: a plain read of the summary answers
    them, with no write and no lock. Otherwise the summary is cleared first:
    on PostgreSQL that waits for a send that is counting a new message
    there, so the messages UPDATE after it sees that message too, and the
    count and the rows always agree.
    """
    mine = sa.and_(
        _CONVERSATIONS.c.owner_id == reader.id, _CONVERSATIONS.c.other_id == other.id
    )
    if not db.session.scalar(sa.select(_CONVERSATIONS.c.unread).where(mine)):
        return False
    cleared = db.session.execute(
        sa.update(_CONVERSATIONS)
        .where(mine, _HAS_UNREAD)
        .values(unread=0)
        .returning(_CONVERSATIONS.c.owner_id)
    ).first()
    if cleared is not None:
        db.session.execute(
            sa.update(_MESSAGES)
            .where(
                _MESSAGES.c.recipient_id == reader.id,
                _MESSAGES.c.sender_id == other.id,
                sa.not_(_MESSAGES.c.read),
            )
            .values(read=True)
        )
    db.session.commit()
    return cleared is not None


UNREAD = sa.select(sa.func.coalesce(sa.func.sum(_CONVERSATIONS.c.unread), 0)).where(
    _CONVERSATIONS.c.owner_id == sa.bindparam("user_id", type_=sa.Integer),
    _HAS_UNREAD,
)


def unread_count(user_id: int) -> int:
    """The badge: a sum over the partial index of conversations with unread
    messages."""
    return int(db.session.scalar(UNREAD, {"user_id": user_id}) or 0)


_MESSAGE_COLUMNS = (
    _MESSAGES.c.id,
    _MESSAGES.c.sender_id,
    _MESSAGES.c.recipient_id,
    _MESSAGES.c.body,
    _MESSAGES.c.created_at,
    _MESSAGES.c.read,
)


def _one_way(sender: str, recipient: str, before: bool) -> sa.Select[Any]:
    statement = sa.select(*_MESSAGE_COLUMNS).where(
        _MESSAGES.c.sender_id == sa.bindparam(sender, type_=sa.Integer),
        _MESSAGES.c.recipient_id == sa.bindparam(recipient, type_=sa.Integer),
    )
    if before:
        statement = statement.where(_MESSAGES.c.id < sa.bindparam("before"))
    statement = statement.order_by(_MESSAGES.c.id.desc()).limit(sa.bindparam("limit"))
    # A subquery, so that each side keeps its own ORDER BY and LIMIT
    # inside the UNION (SQLite allows them only there).
    return sa.select(statement.subquery())


def _both_ways(before: bool) -> sa.Select[Any]:
    both = sa.union_all(
        _one_way("me", "other", before), _one_way("other", "me", before)
    ).subquery()
    return sa.select(both).order_by(both.c.id.desc()).limit(sa.bindparam("limit"))


# Built once: composing the UNION anew took most of a page's time.
_CONVERSATION = {before: _both_ways(before) for before in (False, True)}


def conversation_page(
    reader: User, other: User, before: int | None, limit: int
) -> Page[MessageView]:
    """The newest ``limit`` messages between ``reader`` and ``other`` below
    ``before``, newest first (pages show them the other way up).

    Each direction is read newest first from its index and cut at
    ``limit + 1``, so a page reads at most twice that many rows, however
    long the conversation.
    """
    params = {"me": reader.id, "other": other.id, "limit": limit + 1}
    if before is not None:
        params["before"] = before
    rows = db.session.execute(_CONVERSATION[before is not None], params).all()
    return page_of([MessageView(*row) for row in rows], limit)


_LIST = (
    sa.select(
        _CONVERSATIONS.c.other_id,
        _USERS.c.username,
        _USERS.c.email,
        _USERS.c.avatar,
        _CONVERSATIONS.c.unread,
        *_MESSAGE_COLUMNS,
    )
    .join_from(_CONVERSATIONS, _USERS, _USERS.c.id == _CONVERSATIONS.c.other_id)
    .join(_MESSAGES, _MESSAGES.c.id == _CONVERSATIONS.c.last_message_id)
    .where(_CONVERSATIONS.c.owner_id == sa.bindparam("user_id", type_=sa.Integer))
    .order_by(_CONVERSATIONS.c.last_message_id.desc())
    .limit(sa.bindparam("limit"))
)


def conversations_page(
    reader: User, before: int | None, limit: int
) -> Page[ConversationView]:
    """``reader``'s conversations, the one with the newest message first.

    The cursor is a last message's id: each conversation has its own, and
    ids grow with time, so it orders and pages the list.
    """
    statement = _LIST
    if before is not None:
        statement = statement.where(_CONVERSATIONS.c.last_message_id < before)
    rows = db.session.execute(statement, {"user_id": reader.id, "limit": limit + 1})
    items = [
        ConversationView(
            other_id=row.other_id,
            other_username=row.username,
            other_email=row.email,
            other_avatar=row.avatar,
            unread=row.unread,
            last=MessageView(
                row.id,
                row.sender_id,
                row.recipient_id,
                row.body,
                row.created_at,
                row.read,
            ),
        )
        for row in rows
    ]
    if len(items) > limit:
        items = items[:limit]
        return Page(items, str(items[-1].last.id))
    return Page(items, None)
