"""Database models: users, posts, follows, login sessions, API tokens, and
the conversation around posts (replies, mentions, tags, likes, edits,
notifications).

Users, posts, tokens and login sessions never reuse an id (AUTOINCREMENT on
SQLite, sequences on PostgreSQL): a credential or link that names an id can
never come to name someone else.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import (
    Mapped,
    WriteOnlyMapped,
    mapped_column,
    relationship,
    validates,
)
from werkzeug.security import check_password_hash, generate_password_hash

from app import search_schema
from app.avatars import avatar_for
from app.db_types import UTCDateTime, utcnow
from app.extensions import Model, db

USERNAME_MAX = 32
EMAIL_MAX = 254
POST_MAX = 280
ABOUT_MAX = 280
USER_AGENT_MAX = 256
IP_MAX = 64
TAG_MAX = 64
# "export": your data export is ready (the actor is the recipient).
NOTIFICATION_KINDS = ("follow", "reply", "mention", "like", "export")
MESSAGE_MAX = 1000


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


# A block: ``blocker_id`` no longer sees ``blocked_id``'s posts, and the two
# cannot follow, reply to, like, mention-notify or message each other
# (app/services/blocks.py). The primary key answers "did the reader block
# this author" inside every list statement; the index "who blocks me".
blocks = sa.Table(
    "blocks",
    db.metadata,
    sa.Column(
        "blocker_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "blocked_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    sa.Index("ix_blocks_blocked_id_blocker_id", "blocked_id", "blocker_id"),
)

# A mute hides ``muted_id``'s posts and notifications from ``muter_id`` only;
# the muted account notices nothing. The index serves the cascade.
mutes = sa.Table(
    "mutes",
    db.metadata,
    sa.Column(
        "muter_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "muted_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    sa.Index("ix_mutes_muted_id", "muted_id"),
)


# Never hand out an id again after its row is deleted (SQLite's default
# reuses the highest id); PostgreSQL sequences never do.
NO_ID_REUSE = {"sqlite_autoincrement": True}


def new_public_id() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        # The few suspended and pending accounts, read by every list of
        # posts (app.services.timelines) and by the moderators' queue.
        sa.Index(
            "ix_users_suspended",
            "id",
            sqlite_where=sa.text("suspended_at IS NOT NULL"),
            postgresql_where=sa.text("suspended_at IS NOT NULL"),
        ),
        sa.Index(
            "ix_users_pending",
            "id",
            sqlite_where=sa.text("pending = 1"),
            postgresql_where=sa.text("pending"),
        ),
        NO_ID_REUSE,
    )
    # login_token and login_record below are plain attributes, not columns.
    __allow_unmapped__ = True

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
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Two-factor authentication (app/services/two_factor.py). The secret is
    # encrypted with a key derived from SECRET_KEY; it is set but not yet
    # enabled while the user is scanning the QR code.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(256))
    two_factor_enabled: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false()
    )
    # The time step of the last accepted code: it and earlier ones are refused.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger())
    # Trust and safety (app/services/moderation.py). ``role`` decides what
    # an account may do; ``is_admin`` is kept in step with it for older code.
    role: Mapped[str] = mapped_column(
        sa.String(16), default="user", server_default="user"
    )
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspension_reason: Mapped[str] = mapped_column(
        sa.String(1000), default="", server_default=""
    )
    # REGISTRATION_MODE=approval: cannot log in until a moderator approves.
    pending: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The chosen language (config LANGUAGES); None follows the browser.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    # An uploaded avatar's stored name under MEDIA_ROOT; None: the default.
    avatar: Mapped[str | None] = mapped_column(sa.String(80))

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
    login_sessions: WriteOnlyMapped[LoginSession] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    recovery_codes: WriteOnlyMapped[RecoveryCode] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    @validates("username")
    def _sync_username_key(self, _key: str, value: str) -> str:
        self.username_key = value.lower()
        return value

    # Flask-Login stores get_id() in the session and remember-me cookies. It
    # is the random token of this login (app/services/sessions.py), never
    # the user id: a copied cookie dies with its login record.
    login_token: str | None = None
    login_record: LoginSession | None = None  # set with login_token

    def get_id(self) -> str:
        if self.login_token is None:
            raise RuntimeError("log in through app.web.login.log_in")
        return self.login_token

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def avatar_url(self, size: int = 80) -> str:
        return avatar_for(self.email, size, self.avatar)

    def is_following(self, other: User) -> bool:
        query = sa.select(follows.c.follower_id).where(
            follows.c.follower_id == self.id, follows.c.followed_id == other.id
        )
        return db.session.scalar(query) is not None

    def unfollow(self, other: User) -> None:
        # One DELETE statement: two requests at once (a double click) both
        # succeed, where an ORM collection remove raises in the second.
        db.session.execute(
            sa.delete(follows).where(
                follows.c.follower_id == self.id, follows.c.followed_id == other.id
            )
        )


class Post(Model):
    __tablename__ = "posts"
    __table_args__ = (
        # Posts are listed newest first by id (ids grow with time), per
        # author too.
        sa.Index("ix_posts_user_id_id", "user_id", "id"),
        # A thread's replies, oldest first.
        sa.Index("ix_posts_in_reply_to_id_id", "in_reply_to_id", "id"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(sa.String(POST_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # Not a foreign key: a reply outlives the post it answers and then shows
    # "a deleted post". Ids are never reused, so the id can never come to
    # name another post.
    in_reply_to_id: Mapped[int | None] = mapped_column()
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Kept in step by the statements that add or remove a reply or a like
    # (app.services), so a card never counts rows.
    reply_count: Mapped[int] = mapped_column(default=0, server_default="0")
    like_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # How many pictures the post has (app.media_models.Media): a page reads
    # the media table only when a post on it has some.
    media_count: Mapped[int] = mapped_column(default=0, server_default="0")

    author: Mapped[User] = relationship(back_populates="posts", lazy="joined")

    def __repr__(self) -> str:
        return f"<Post {self.id} by {self.user_id}>"


# Hashtags and mentions are parsed once, when a post is written or edited.
post_tags = sa.Table(
    "post_tags",
    db.metadata,
    # Lower-cased, so #Wren and #wren are one tag. The primary key serves a
    # tag's page, newest first.
    sa.Column("tag", sa.String(TAG_MAX), primary_key=True),
    sa.Column(
        "post_id", sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Index("ix_post_tags_post_id", "post_id"),
)

post_mentions = sa.Table(
    "post_mentions",
    db.metadata,
    sa.Column(
        "post_id", sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Index("ix_post_mentions_user_id_post_id", "user_id", "post_id"),
)


class Like(Model):
    __tablename__ = "likes"
    __table_args__ = (
        # One like per person and post, enforced by the database: two
        # clicks at once insert one row. Also serves "did I like these".
        sa.UniqueConstraint("user_id", "post_id"),
        # "Liked by", newest first.
        sa.Index("ix_likes_post_id_id", "post_id", "id"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PostVersion(Model):
    """An earlier text of an edited post, kept for its history page."""

    __tablename__ = "post_versions"
    __table_args__ = (sa.Index("ix_post_versions_post_id_id", "post_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(sa.String(POST_MAX))
    # When this text was first shown (the post's time, or an earlier edit's).
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Notification(Model):
    """Something another person did that concerns the recipient."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_recipient_id_id", "recipient_id", "id"),
        # The unread badge counts only unread rows, from this index alone.
        # Each predicate is written as SQLAlchemy renders "not read" for that
        # database, or the planner cannot match query and index.
        sa.Index(
            "ix_notifications_unread",
            "recipient_id",
            sqlite_where=sa.text("read = 0"),
            postgresql_where=sa.text("NOT read"),
        ),
        # One notification per (kind, actor, post): the database refuses a
        # second, so a double click or a post naming someone twice adds one.
        sa.Index(
            "uq_notifications_post",
            "recipient_id",
            "kind",
            "actor_id",
            "post_id",
            unique=True,
            sqlite_where=sa.text("post_id IS NOT NULL"),
            postgresql_where=sa.text("post_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_notifications_no_post",
            "recipient_id",
            "kind",
            "actor_id",
            unique=True,
            sqlite_where=sa.text("post_id IS NULL"),
            postgresql_where=sa.text("post_id IS NULL"),
        ),
        sa.Index("ix_notifications_actor_id", "actor_id"),
        sa.Index("ix_notifications_post_id", "post_id"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE")
    )
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    post_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class Message(Model):
    """A private message from one user to another."""

    __tablename__ = "messages"
    __table_args__ = (
        # A conversation's page reads each direction newest first from this
        # index (sender, recipient, id), a fixed number of entries per page.
        sa.Index(
            "ix_messages_sender_id_recipient_id_id", "sender_id", "recipient_id", "id"
        ),
        # For the cascade when a recipient's account goes.
        sa.Index("ix_messages_recipient_id", "recipient_id"),
        # Opening a conversation marks only its unread rows, found here.
        sa.Index(
            "ix_messages_unread",
            "recipient_id",
            "sender_id",
            sqlite_where=sa.text("read = 0"),
            postgresql_where=sa.text("NOT read"),
        ),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE")
    )
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE")
    )
    body: Mapped[str] = mapped_column(sa.String(MESSAGE_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class Conversation(Model):
    """One side of a conversation: what ``owner`` sees of it in their list.

    Written in the same statement for both sides with every message (app
    .services.messages), so the list and the unread counts read these rows,
    never the messages.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        # The owner's conversations, newest message first.
        sa.Index(
            "ix_conversations_owner_id_last_message_id", "owner_id", "last_message_id"
        ),
        # The badge sums only the conversations with unread messages.
        sa.Index(
            "ix_conversations_unread",
            "owner_id",
            "unread",
            sqlite_where=sa.text("unread > 0"),
            postgresql_where=sa.text("unread > 0"),
        ),
        # For the cascade when the other account goes.
        sa.Index("ix_conversations_other_id", "other_id"),
    )

    owner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    other_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # Not a foreign key: the message only ever goes with one of the two
    # accounts, and this row goes with it; a key would cost an index
    # lookup here for every message deleted.
    last_message_id: Mapped[int] = mapped_column()
    unread: Mapped[int] = mapped_column(default=0, server_default="0")


class ApiToken(Model):
    __tablename__ = "api_tokens"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the bearer token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="api_tokens", lazy="joined")


class LoginSession(Model):
    """One login on one device: what the session and remember-me cookies name.

    The cookies carry a random token; only its SHA-256 is stored. Deleting
    the row (logout, revoke, password change or reset, account deletion)
    ends every copy of those cookies at once, on every node.
    """

    __tablename__ = "login_sessions"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # What the sessions page puts in its revoke URLs: random, so neither the
    # token nor a guessable sequence ever appears in a page.
    public_id: Mapped[str] = mapped_column(
        sa.String(32), unique=True, default=new_public_id
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Remember-me logins end at a fixed time; others after a while unused.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remember: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(sa.String(USER_AGENT_MAX), default="")
    ip: Mapped[str] = mapped_column(sa.String(IP_MAX), default="")

    user: Mapped[User] = relationship(back_populates="login_sessions")


class RecoveryCode(Model):
    """A single-use two-factor recovery code, kept as its SHA-256.

    Codes are random (80 bits), not passwords, so an unsalted digest is
    enough, and it lets one UPDATE find and spend a code atomically.
    """

    __tablename__ = "recovery_codes"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="recovery_codes")


def table_of(model: type[Model]) -> sa.Table:
    """A model's Table, typed as one (``__table__`` is a FromClause to mypy)."""
    return cast(sa.Table, model.__table__)


# The full-text index over post bodies is built with the posts table.
search_schema.attach(table_of(Post))

# Reports, the audit log and invites; failed jobs; pictures attached to
# posts; data exports: on the same metadata.
from app import (  # noqa: E402
    export_models,  # noqa: F401
    job_models,  # noqa: F401
    media_models,  # noqa: F401
    moderation_models,  # noqa: F401
)
