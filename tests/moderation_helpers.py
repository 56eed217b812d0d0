"""Helpers shared by the trust-and-safety tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import User
from app.moderation_models import AuditEntry, Report
from tests.conftest import AuthActions
from tests.factories import PostFactory


def set_role(app: Flask, username: str, role: str) -> None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        assert user is not None
        user.role = role
        db.session.commit()


def add_post(app: Flask, username: str, body: str) -> int:
    with app.app_context():
        author = db.session.scalar(sa.select(User).where(User.username == username))
        post = PostFactory(author=author, body=body)
        return post.id


def audit_rows(app: Flask) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                AuditEntry.actor_name,
                AuditEntry.action,
                AuditEntry.target_label,
                AuditEntry.note,
            ).order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def reports(app: Flask) -> list[Report]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(Report).order_by(Report.id)))
        for report in found:
            db.session.expunge(report)
        return found


def account(app: Flask, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        assert user is not None
        db.session.expunge(user)
        return user


def post_as(auth: AuthActions, url: str, data: dict[str, Any] | None = None) -> Any:
    """POST a form with a real CSRF token (from a page that has one)."""
    return auth.post_form(url, data or {}, page="/settings/profile")
