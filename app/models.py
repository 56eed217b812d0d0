"""Database models: users, posts, follows, API tokens and the content generation."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import (
    Mapped,
    WriteOnlyMapped,
    make_transient_to_detached,
    mapped_column,
    relationship,
    validates,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from werkzeug.security import check_password_hash, generate_password_hash

from app.db_types import UTCDateTime, utcnow
from app.extensions import db

USERNAME_MAX = 32
EMAIL_MAX = 254
POST_MAX = 280
ABOUT_MAX = 280


class CannotFollowSelf(ValueError):
    """Raised when a user tries to follow their own account."""


follows = sa.Table(
    "follows",
    db.metadata,
    sa.Column(
        "follower_id",
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "followed_id",
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    # The primary key serves "whom does X follow"; this serves "who follows X".
    sa.Index("ix_follows_followed_id_follower_id", "followed_id", "follower_id"),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(USERNAME_MAX))
    # Lower-cased copy so the database itself enforces case-insensitive
    # uniqueness the same way on SQLite and PostgreSQL.
    username_key: Mapped[str] = mapped_column(sa.String(USERNAME_MAX), unique=True)
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    about_me: Mapped[str] = mapped_column(sa.String(ABOUT_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped when the password changes: sessions and remember-me cookies carry
    # the version they were issued with and stop working once it moves on.
    session_version: Mapped[int] = mapped_column(default=1)
    is_admin: Mapped[bool] = mapped_column(default=False)

    posts: WriteOnlyMapped[Post] = relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True
    )
    following: WriteOnlyMapped[User] = relationship(
        secondary=follows,
        primaryjoin=lambda: follows.c.follower_id == User.id,
        secondaryjoin=lambda: follows.c.followed_id == User.id,
        back_populates="followers",
        passive_deletes=True,
    )
    followers: WriteOnlyMapped[User] = relationship(
        secondary=follows,
        primaryjoin=lambda: follows.c.followed_id == User.id,
        secondaryjoin=lambda: follows.c.follower_id == User.id,
        back_populates="following",
        passive_deletes=True,
    )
    api_tokens: WriteOnlyMapped[ApiToken] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    @validates("username")
    def _sync_username_key(self, _key: str, value: str) -> str:
        self.username_key = value.lower()
        return value

    def snapshot(self) -> tuple[Any, ...]:
        """Every column's value, for :meth:`from_snapshot`."""
        columns, _, _ = _user_layout()
        return tuple(self.__dict__[key] for key in columns)

    @staticmethod
    def field(values: tuple[Any, ...], name: str) -> Any:
        """One column's value from a :meth:`snapshot`."""
        _, _, places = _user_layout()
        return values[places[name]]

    @classmethod
    def from_snapshot(cls, values: tuple[Any, ...]) -> User:
        """The user as :meth:`snapshot` saw it, in the session as if loaded.

        For a row known to be unchanged since (see app/generation.py): no
        query, and the object behaves exactly like a loaded one, including
        later changes and commits.
        """
        columns, manager, places = _user_layout()
        session = db.session()
        existing = session.identity_map.get(identity_key(cls, values[places["id"]]))
        if existing is not None:  # a query would return this very object
            return existing  # type: ignore[no-any-return]
        user = manager.new_instance()
        for key, value in zip(columns, values, strict=True):
            set_committed_value(user, key, value)
        make_transient_to_detached(user)
        session.add(user)
        return user

    # Flask-Login: the id carries the session version (see session_version).
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_other_sessions(self) -> None:
        self.session_version += 1

    def avatar_url(self, size: int = 80) -> str:
        from app.avatars import avatar_url

        return avatar_url(self, size)

    def is_following(self, other: User) -> bool:
        query = sa.select(follows.c.follower_id).where(
            follows.c.follower_id == self.id, follows.c.followed_id == other.id
        )
        return db.session.scalar(query) is not None

    def follow(self, other: User) -> None:
        if other.id == self.id:
            raise CannotFollowSelf("You cannot follow yourself.")
        if not self.is_following(other):
            self.following.add(other)

    def unfollow(self, other: User) -> None:
        if self.is_following(other):
            self.following.remove(other)


class Post(db.Model):
    __tablename__ = "posts"
    # Posts are listed newest first by id (ids grow with time), per author too.
    __table_args__ = (sa.Index("ix_posts_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(sa.String(POST_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))

    author: Mapped[User] = relationship(back_populates="posts", lazy="joined")

    def __repr__(self) -> str:
        return f"<Post {self.id} by {self.user_id}>"


@cache
def _user_layout() -> tuple[tuple[str, ...], Any, dict[str, int]]:
    """User's column keys, its class manager, and each key's place.

    Asked on first use: inspecting the mapper configures all mappers, which
    needs every model class defined.
    """
    mapper = sa.inspect(User)
    columns = tuple(attr.key for attr in mapper.column_attrs)
    places = {name: at for at, name in enumerate(columns)}
    return columns, mapper.class_manager, places


class ContentGeneration(db.Model):
    """One row whose value database triggers move on every content change.

    See app/generation.py: the page cache keys on it.
    """

    __tablename__ = "content_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the bearer token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="api_tokens", lazy="joined")
