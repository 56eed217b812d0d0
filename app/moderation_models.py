"""Trust and safety tables: reports, the audit log and invites.

Kept apart from app.models so the moderation schema reads as one piece;
app.models imports this module, so the tables are on the one metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import Model

ROLES = ("user", "moderator", "admin")
REPORT_REASONS = ("spam", "abuse", "illegal", "other")
REPORT_ACTIONS = ("dismiss", "delete_post", "suspend_user")
COMMENT_MAX = 1000
NOTE_MAX = 1000
# Never hand out an id again (see app.models.NO_ID_REUSE).
_NO_ID_REUSE = {"sqlite_autoincrement": True}


class Report(Model):
    """Someone's report of a post or an account, open until resolved."""

    __tablename__ = "reports"
    __table_args__ = (
        # The moderators' queue: open reports, oldest first, from this
        # index alone however many resolved ones pile up.
        sa.Index(
            "ix_reports_open",
            "id",
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        ),
        sa.Index("ix_reports_reporter_id", "reporter_id"),
        sa.Index("ix_reports_user_id", "user_id"),
        _NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE")
    )
    # Not a foreign key: a resolved report outlives the post it was about
    # (delete_post), and post ids are never reused.
    post_id: Mapped[int | None] = mapped_column()
    # The reported account, or the author of the reported post.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(16))
    comment: Mapped[str] = mapped_column(sa.String(COMMENT_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    action: Mapped[str | None] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.String(NOTE_MAX), default="")


class AuditEntry(Model):
    """One moderator action. Rows are only ever inserted.

    The actor and target are plain values with a name copied in, not
    foreign keys: deleting an account must neither remove nor rewrite the
    record of what was done by or to it.
    """

    __tablename__ = "audit_log"
    __table_args__ = _NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(sa.String(32))
    action: Mapped[str] = mapped_column(sa.String(32))
    target_kind: Mapped[str] = mapped_column(sa.String(16))
    target_id: Mapped[int | None] = mapped_column()
    target_label: Mapped[str] = mapped_column(sa.String(64), default="")
    note: Mapped[str] = mapped_column(sa.String(NOTE_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditLogIsAppendOnly(Exception):
    """Raised when code tries to change or remove an audit entry."""


def _refuse(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be changed")


sa.event.listen(AuditEntry, "before_update", _refuse)
sa.event.listen(AuditEntry, "before_delete", _refuse)

# The database refuses too, for SQL that bypasses the ORM. TRUNCATE (only
# ever run by the test suite between tests) is deliberately left alone.
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]
for _sql in APPEND_ONLY_SQLITE:
    sa.event.listen(
        AuditEntry.__table__,
        "after_create",
        sa.DDL(_sql).execute_if(dialect="sqlite"),
    )
for _sql in APPEND_ONLY_POSTGRESQL:
    sa.event.listen(
        AuditEntry.__table__,
        "after_create",
        sa.DDL(_sql).execute_if(dialect="postgresql"),
    )


class Invite(Model):
    """An invite link for REGISTRATION_MODE=invite; only its hash is kept."""

    __tablename__ = "invites"
    __table_args__ = (sa.Index("ix_invites_creator_id", "creator_id"), _NO_ID_REUSE)

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    creator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE")
    )
    max_uses: Mapped[int] = mapped_column()
    uses: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
