"""Pictures on posts and avatars: storing, attaching, reading and deleting.

Files live under MEDIA_ROOT, each named by the SHA-256 of its own bytes
(:attr:`app.services.images.Encoded.name`) in a folder named by the first
two hex digits. Nothing the uploader sent (the file name, the declared
type) is ever part of a path. Equal pictures are one file, shared by every
row that names it; a file is removed once no media row and no avatar names
it (:func:`remove_unused`), after the commit that let it go.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, NamedTuple

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from app import validation
from app.db_types import utcnow
from app.extensions import db
from app.media_models import ALT_MAX, MEDIA_PER_POST, Media
from app.models import Post, User, table_of
from app.services import images
from app.services.errors import DomainError
from app.services.images import Encoded, Picture, Refused

NAME_RE = re.compile(r"[0-9a-f]{64}\.(?:jpg|png|webp)")
# API uploads that no post took within this long are deleted.
UNATTACHED_MAX_AGE = timedelta(days=1)
_MEDIA = table_of(Media)
_USERS = table_of(User)
_POSTS = table_of(Post)


class MediaView(NamedTuple):
    """A picture as cards and the API show it."""

    id: int
    post_id: int
    name: str
    thumbnail_name: str
    alt: str
    width: int
    height: int


# --- files ----------------------------------------------------------------


def media_root() -> Path:
    return Path(current_app.config["MEDIA_ROOT"])


def path_for(name: str) -> Path:
    """Where the file ``name`` lives.

    :raises ValueError: when ``name`` is not a stored file's name.
    """
    if not NAME_RE.fullmatch(name):
        raise ValueError("not a media file name")
    return media_root() / name[:2] / name


def url(name: str) -> str:
    return url_for("media.serve", name=name)


def store(encoded: Encoded) -> str:
    """Write ``encoded`` under its content name (once) and return the name.

    Written to a temporary file first and renamed, so a reader never sees
    half a file.
    """
    name = encoded.name
    path = path_for(name)
    if path.exists():
        return name
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(encoded.data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


def remove_unused(names: Iterable[str | None]) -> None:
    """Delete the files among ``names`` that no media row or avatar names.

    Call after the commit that dropped the rows.
    """
    wanted = {name for name in names if name}
    if not wanted:
        return
    used = set(
        db.session.scalars(
            sa.union(
                sa.select(_MEDIA.c.name).where(_MEDIA.c.name.in_(wanted)),
                sa.select(_MEDIA.c.thumbnail_name).where(
                    _MEDIA.c.thumbnail_name.in_(wanted)
                ),
                sa.select(_USERS.c.avatar).where(_USERS.c.avatar.in_(wanted)),
            )
        )
    )
    for name in wanted - used:
        path_for(name).unlink(missing_ok=True)


def file_names(where: sa.ColumnElement[bool]) -> list[str]:
    """The picture and thumbnail names of the media rows ``where`` picks."""
    rows = db.session.execute(
        sa.select(_MEDIA.c.name, _MEDIA.c.thumbnail_name).where(where)
    )
    return [name for row in rows for name in row]


def names_of_posts(post_ids: sa.Select[Any] | Sequence[int]) -> list[str]:
    """The file names of the pictures of the posts ``post_ids``."""
    return file_names(_MEDIA.c.post_id.in_(post_ids))


# --- uploads --------------------------------------------------------------


class Upload(NamedTuple):
    """An accepted picture and its alt text, not yet stored."""

    picture: Picture
    alt: str


def clean_alt(alt: str | None) -> str:
    """Alt text: trimmed, at most ALT_MAX characters, no control characters.

    :raises ValueError: with the message to show.
    """
    alt = (alt or "").strip()
    if validation.has_forbidden_control(alt, allow_newlines=False):
        raise ValueError(_("Remove the control characters from the description."))
    if len(alt) > ALT_MAX:
        raise ValueError(
            _(
                "A description can be at most %(max)d characters (%(now)d now).",
                max=ALT_MAX,
                now=len(alt),
            )
        )
    return alt


def accept(data: bytes, alt: str | None, field: str) -> Upload:
    """Check one uploaded picture and its alt text.

    :raises DomainError: on ``field`` (the picture) or "alt".
    """
    try:
        cleaned = clean_alt(alt)
    except ValueError as exc:
        raise DomainError(str(exc), "alt") from None
    try:
        return Upload(images.picture(data), cleaned)
    except Refused as exc:
        raise DomainError(str(exc), field) from None


def _row(user_id: int, upload: Upload) -> Media:
    full, thumbnail = upload.picture
    return Media(
        user_id=user_id,
        name=store(full),
        thumbnail_name=store(thumbnail),
        alt=upload.alt,
        width=full.width,
        height=full.height,
        content_type=full.content_type,
        size=len(full.data),
    )


def upload(user: User, upload: Upload) -> Media:
    """Store an API upload, unattached until a post names it (within a day)."""
    media = _row(user.id, upload)
    db.session.add(media)
    db.session.commit()
    return media


def too_many() -> DomainError:
    return DomainError(
        _("A post can have at most %(count)d pictures.", count=MEDIA_PER_POST),
        "images",
    )


def attach(post: Post, uploads: Sequence[Upload], media_ids: Sequence[int]) -> None:
    """Give ``post`` its pictures: new ``uploads`` and earlier API uploads
    ``media_ids`` of its author that no post has taken yet, in that order.
    No commit.

    Each earlier upload is claimed with one UPDATE that only matches while
    it is free, so two posts can never take the same one.

    :raises DomainError: on "media_ids" when one is someone else's, taken
        or unknown (roll back: the post is already flushed).
    """
    if len(uploads) + len(media_ids) > MEDIA_PER_POST:
        raise too_many()
    position = 0
    for upload in uploads:
        media = _row(post.user_id, upload)
        media.post_id, media.position = post.id, position
        db.session.add(media)
        position += 1
    if len(set(media_ids)) != len(media_ids):
        raise DomainError("Each media id can be given once.", "media_ids")
    for media_id in media_ids:
        claimed = db.session.execute(
            sa.update(_MEDIA)
            .where(
                _MEDIA.c.id == media_id,
                _MEDIA.c.user_id == post.user_id,
                _MEDIA.c.post_id.is_(None),
            )
            .values(post_id=post.id, position=position)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise DomainError(
                f"Media {media_id} is not an upload of yours that is still "
                "free to use.",
                "media_ids",
            )
        position += 1
    post.media_count = position


# --- avatars --------------------------------------------------------------


def set_avatar(user: User, stream: IO[bytes]) -> None:
    """Make the uploaded picture ``stream`` (its centre, cropped square)
    ``user``'s avatar.

    :raises DomainError: on "avatar" when it is not a picture Wren stores.
    """
    try:
        encoded = images.avatar(images.read_upload(stream))
    except Refused as exc:
        raise DomainError(str(exc), "avatar") from None
    previous, user.avatar = user.avatar, store(encoded)
    db.session.commit()
    if previous != user.avatar:
        remove_unused([previous])


def remove_avatar(user: User) -> None:
    """Go back to the default avatar, deleting the file once unused."""
    previous, user.avatar = user.avatar, None
    db.session.commit()
    remove_unused([previous])


# --- reading --------------------------------------------------------------

_FOR_POSTS = (
    sa.select(
        _MEDIA.c.id,
        _MEDIA.c.post_id,
        _MEDIA.c.name,
        _MEDIA.c.thumbnail_name,
        _MEDIA.c.alt,
        _MEDIA.c.width,
        _MEDIA.c.height,
    )
    .where(_MEDIA.c.post_id.in_(sa.bindparam("post_ids", expanding=True)))
    .order_by(_MEDIA.c.post_id, _MEDIA.c.position)
)


def for_posts(post_ids: Sequence[int]) -> dict[int, tuple[MediaView, ...]]:
    """The pictures of each of ``post_ids``, in order: one statement."""
    found: dict[int, list[MediaView]] = {}
    for row in db.session.execute(_FOR_POSTS, {"post_ids": list(post_ids)}):
        view = MediaView._make(row)
        found.setdefault(view.post_id, []).append(view)
    return {post_id: tuple(views) for post_id, views in found.items()}


def media_json(media: MediaView | Media) -> dict[str, Any]:
    """A picture in the API's shape (``MediaOut``)."""
    return {
        "id": media.id,
        "url": url(media.name),
        "thumbnail_url": url(media.thumbnail_name),
        "alt": media.alt,
        "width": media.width,
        "height": media.height,
    }


# --- cleaning up ----------------------------------------------------------


def remove_unattached(now: Any = None) -> int:
    """Delete API uploads that no post took within UNATTACHED_MAX_AGE, and
    their files once unused; return how many rows went."""
    cutoff = (now or utcnow()) - UNATTACHED_MAX_AGE
    stale = _MEDIA.c.post_id.is_(None) & (_MEDIA.c.created_at < cutoff)
    names = file_names(stale)
    deleted = db.session.execute(sa.delete(_MEDIA).where(stale))
    db.session.commit()
    remove_unused(names)
    return int(deleted.rowcount)  # type: ignore[attr-defined]
