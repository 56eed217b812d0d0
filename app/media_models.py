"""Pictures attached to posts (app/services/media.py stores and serves them).

Kept apart from app.models so the media schema reads as one piece;
app.models imports this module, so the table is on the one metadata.

``name`` and ``thumbnail_name`` are the file names under MEDIA_ROOT: the
SHA-256 of the re-encoded bytes plus an extension, never anything the
uploader chose. Two rows may share a name (the same picture uploaded twice,
by one person or two); a file is removed only when no row and no avatar
names it any more.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import Model

ALT_MAX = 1500
MEDIA_PER_POST = 4
# "<64 hex digits>.<ext>": see app.services.media.NAME_PATTERN.
NAME_MAX = 80
# Never hand out an id again (see app.models.NO_ID_REUSE).
_NO_ID_REUSE = {"sqlite_autoincrement": True}


class Media(Model):
    """One uploaded picture: unattached until a post takes it."""

    __tablename__ = "media"
    __table_args__ = (
        # A page's pictures, in order, for the posts on it.
        sa.Index("ix_media_post_id_position", "post_id", "position"),
        sa.Index("ix_media_user_id", "user_id"),
        # "Does any other row still use this file?" before deleting it.
        sa.Index("ix_media_name", "name"),
        sa.Index("ix_media_thumbnail_name", "thumbnail_name"),
        # The clean-up job's uploads that no post took, oldest first.
        sa.Index(
            "ix_media_unattached",
            "created_at",
            sqlite_where=sa.text("post_id IS NULL"),
            postgresql_where=sa.text("post_id IS NULL"),
        ),
        _NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # NULL while an API upload waits for its post.
    post_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE")
    )
    # 0-3: the picture's place in its post.
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    thumbnail_name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    alt: Mapped[str] = mapped_column(sa.String(ALT_MAX), default="", server_default="")
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    content_type: Mapped[str] = mapped_column(sa.String(32))
    # Bytes of the stored (re-encoded) full-size file.
    size: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Media {self.id} of post {self.post_id}>"
