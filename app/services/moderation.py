"""Roles, reports, suspension, approval and the audit log.

Who may act on whom is decided here, once (:func:`may_act_on`); the /admin
views only check that the reader is a moderator at all
(app.web.permissions). Every moderator action writes one audit entry in
the same transaction as the change itself, so neither lands without the
other.

Rules:

- moderators and admins read reports, resolve them and approve accounts;
- a moderator may suspend or unsuspend plain users only, never another
  moderator or an admin; an admin may act on anyone but themselves;
- nobody acts on their own account.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa

from app.db_types import utcnow
from app.extensions import db
from app.models import Post, User, table_of
from app.moderation_models import (
    COMMENT_MAX,
    NOTE_MAX,
    REPORT_ACTIONS,
    REPORT_REASONS,
    ROLES,
    AuditEntry,
    Report,
)
from app.services import media, posts, sessions
from app.services.errors import DomainError, Forbidden, NotFound

_RANK = {role: rank for rank, role in enumerate(ROLES)}
_USERS = table_of(User)
_REPORTS = table_of(Report)
REPORT_NOT_FOUND = "There is no such post or account to report."
CANNOT_ACT = "You cannot do that to this account."
AUDIT_PAGE = 50


def has_role(user: Any, role: str) -> bool:
    """Whether ``user`` (maybe anonymous) holds ``role`` or a higher one."""
    found = getattr(user, "role", None)
    return found in _RANK and _RANK[found] >= _RANK[role]


def may_act_on(actor: User, target: User) -> bool:
    """Whether ``actor`` may suspend, unsuspend or approve ``target``."""
    if actor.id == target.id or not has_role(actor, "moderator"):
        return False
    if actor.role == "admin":
        return True
    return target.role == "user"


def _check_may_act_on(actor: User, target: User) -> None:
    if not may_act_on(actor, target):
        raise Forbidden(CANNOT_ACT)


def _text(value: str | None, limit: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise DomainError(f"Keep it to {limit} characters or fewer.", field)
    return value


def _audit(
    actor: User | None,
    action: str,
    target_kind: str,
    target_id: int | None,
    target_label: str = "",
    note: str = "",
) -> None:
    db.session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            actor_name=actor.username if actor else "(command line)",
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            target_label=target_label[:64],
            note=note[:NOTE_MAX],
        )
    )


# Roles (operators, from the command line) --------------------------------


def set_role(user: User, role: str) -> User:
    if role not in ROLES:
        raise DomainError(f"A role is one of {', '.join(ROLES)}.", "role")
    user.role = role
    user.is_admin = role == "admin"
    _audit(None, f"role_{role}", "user", user.id, user.username)
    db.session.commit()
    return user


# Reports ------------------------------------------------------------------


def _clean_report(reason: str, comment: str | None) -> tuple[str, str]:
    if reason not in REPORT_REASONS:
        raise DomainError(f"Choose a reason: {', '.join(REPORT_REASONS)}.", "reason")
    return reason, _text(comment, COMMENT_MAX, "comment")


def report_post(reporter: User, post_id: int, reason: str, comment: str = "") -> Report:
    """:raises NotFound: no such post (or its author is suspended).
    :raises DomainError: a bad reason or comment, or the reporter's own post."""
    reason, comment = _clean_report(reason, comment)
    post = db.session.get(Post, post_id)
    if post is None or post.author.is_suspended:
        raise NotFound(REPORT_NOT_FOUND)
    if post.user_id == reporter.id:
        raise DomainError("You cannot report your own post.", "post_id")
    return _add_report(reporter, post.user_id, post.id, reason, comment)


def report_user(reporter: User, target: User, reason: str, comment: str = "") -> Report:
    """:raises DomainError: a bad reason or comment, or reporting oneself."""
    reason, comment = _clean_report(reason, comment)
    if target.id == reporter.id:
        raise DomainError("You cannot report yourself.", "user_id")
    return _add_report(reporter, target.id, None, reason, comment)


def _add_report(
    reporter: User, user_id: int, post_id: int | None, reason: str, comment: str
) -> Report:
    report = Report(
        reporter_id=reporter.id,
        user_id=user_id,
        post_id=post_id,
        reason=reason,
        comment=comment,
    )
    db.session.add(report)
    db.session.commit()
    return report


class ReportRow(NamedTuple):
    report: Report
    reporter: str
    target: str
    post_body: str | None  # None: an account report, or the post is gone
    resolver: str | None


_REPORTER = _USERS.alias("reporter")
_TARGET = _USERS.alias("target")
_RESOLVER = _USERS.alias("resolver")
_POSTS = table_of(Post)


def _report_rows(where: sa.ColumnElement[bool], limit: int) -> list[ReportRow]:
    statement = (
        sa.select(
            Report,
            _REPORTER.c.username,
            _TARGET.c.username,
            _POSTS.c.body,
            _RESOLVER.c.username,
        )
        .join(_REPORTER, _REPORTER.c.id == Report.reporter_id)
        .join(_TARGET, _TARGET.c.id == Report.user_id)
        .outerjoin(_POSTS, _POSTS.c.id == Report.post_id)
        .outerjoin(_RESOLVER, _RESOLVER.c.id == Report.resolved_by_id)
        .where(where)
        .order_by(Report.id.desc())
        .limit(limit)
    )
    return [ReportRow(*row) for row in db.session.execute(statement)]


def open_reports(limit: int = 50) -> list[ReportRow]:
    return _report_rows(Report.resolved_at.is_(None), limit)


def resolved_reports(limit: int = 50) -> list[ReportRow]:
    return _report_rows(Report.resolved_at.is_not(None), limit)


def open_report_count() -> int:
    query = sa.select(sa.func.count()).where(Report.resolved_at.is_(None))
    return db.session.scalar(query) or 0


def resolve_report(moderator: User, report_id: int, action: str, note: str) -> Report:
    """Close an open report with ``action``; one audit entry.

    :raises NotFound: no such open report (also when another moderator
        closed it a moment ago).
    :raises Forbidden: suspend_user on an account the moderator may not touch.
    """
    if action not in REPORT_ACTIONS:
        raise DomainError(f"Choose an action: {', '.join(REPORT_ACTIONS)}.", "action")
    note = _text(note, NOTE_MAX, "note")
    report = db.session.get(Report, report_id)
    if report is None or report.resolved_at is not None:
        raise NotFound("That report is not open any more.")
    target = db.session.get(User, report.user_id)
    if target is None:
        raise NotFound("That report is not open any more.")
    if action == "suspend_user":
        _check_may_act_on(moderator, target)
    elif action == "delete_post" and report.post_id is None:
        raise DomainError("This report is about an account, not a post.", "action")
    # Claim the report first, in one conditional UPDATE: of two moderators
    # resolving it at once, exactly one goes on to act and write the log.
    claimed = db.session.execute(
        sa.update(_REPORTS)
        .where(_REPORTS.c.id == report.id, _REPORTS.c.resolved_at.is_(None))
        .values(
            resolved_at=utcnow(),
            resolved_by_id=moderator.id,
            action=action,
            note=note,
        )
        .returning(_REPORTS.c.id)
    ).first()
    if claimed is None:
        db.session.rollback()
        raise NotFound("That report is not open any more.")
    files: list[str] = []
    if action == "delete_post" and report.post_id is not None:
        files = _remove_post(report.post_id)
    elif action == "suspend_user":
        _suspend(target, note)
    label = f"#{report.id} about {target.username}"
    _audit(moderator, f"report_{action}", "report", report.id, label, note)
    db.session.commit()
    media.remove_unused(files)
    db.session.refresh(report)
    return report


def _remove_post(post_id: int) -> list[str]:
    """Delete a post as its author's own delete does (app.services.posts);
    return its pictures' file names, to remove after the commit."""
    post = db.session.get(Post, post_id)
    if post is None:
        return []
    if post.in_reply_to_id is not None:
        posts.move_counter(post.in_reply_to_id, "reply_count", -1)
    files = media.names_of_posts([post_id]) if post.media_count else []
    db.session.execute(sa.delete(_POSTS).where(_POSTS.c.id == post_id))
    db.session.expunge(post)
    return files


# Suspension and approval --------------------------------------------------


def _suspend(target: User, reason: str) -> None:
    target.suspended_at = utcnow()
    target.suspension_reason = reason
    # Logins end now on every node: their rows are what each request finds.
    sessions.end_all(target, commit=False)


def suspend(moderator: User, target: User, reason: str) -> bool:
    """Suspend ``target``; False if it already was (nothing logged)."""
    _check_may_act_on(moderator, target)
    reason = _text(reason, NOTE_MAX, "reason")
    if target.is_suspended:
        return False
    _suspend(target, reason)
    _audit(moderator, "suspend", "user", target.id, target.username, reason)
    db.session.commit()
    return True


def unsuspend(moderator: User, target: User, note: str = "") -> bool:
    """Lift a suspension; False if there was none (nothing logged)."""
    _check_may_act_on(moderator, target)
    if not target.is_suspended:
        return False
    target.suspended_at = None
    target.suspension_reason = ""
    _audit(moderator, "unsuspend", "user", target.id, target.username, note)
    db.session.commit()
    return True


def approve(moderator: User, target: User) -> bool:
    """Let a pending account log in; False if it was not pending.

    One conditional UPDATE decides: of two moderators approving at the same
    moment, exactly one changes the row and writes the audit entry.
    """
    if not has_role(moderator, "moderator"):
        raise Forbidden(CANNOT_ACT)
    changed = db.session.execute(
        sa.update(_USERS)
        .where(_USERS.c.id == target.id, _USERS.c.pending.is_(True))
        .values(pending=False)
        .returning(_USERS.c.id)
    ).first()
    if changed is None:
        db.session.rollback()
        return False
    _audit(moderator, "approve", "user", target.id, target.username)
    db.session.commit()
    db.session.refresh(target)
    return True


# Reading for /admin ---------------------------------------------------------


def find_users(prefix: str, pending_only: bool, limit: int = 50) -> list[User]:
    """Accounts whose username starts with ``prefix``, by name."""
    statement = sa.select(User).order_by(User.username_key).limit(limit)
    prefix = prefix.strip().lower()
    if prefix:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(User.username_key.like(f"{escaped}%", escape="\\"))
    if pending_only:
        statement = statement.where(User.pending.is_(True))
    return list(db.session.scalars(statement))


def pending_count() -> int:
    query = sa.select(sa.func.count()).where(User.pending.is_(True))
    return db.session.scalar(query) or 0


def audit_entries(
    before: int | None = None, limit: int = AUDIT_PAGE
) -> list[AuditEntry]:
    """The newest audit entries, below the id ``before``."""
    statement = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before is not None:
        statement = statement.where(AuditEntry.id < before)
    return list(db.session.scalars(statement))
