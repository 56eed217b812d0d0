"""Request (``XIn``) and response (``XOut``) schemas of the JSON API.

Input fields run the same checkers as the HTML forms (``app.validation``), so
both front doors accept and refuse the same text with the same messages.
Unknown JSON fields are refused (marshmallow's default, RAISE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apiflask import Schema, fields
from apiflask.validators import Length, OneOf, Range
from marshmallow import ValidationError

from app import validation
from app.media_models import ALT_MAX, MEDIA_PER_POST
from app.models import (
    ABOUT_MAX,
    EMAIL_MAX,
    MESSAGE_MAX,
    NOTIFICATION_KINDS,
    POST_MAX,
    USERNAME_MAX,
    User,
)
from app.pagination import parse_cursor
from app.services.media import clean_alt
from app.services.search import SORTS as SEARCH_SORTS
from app.services.search import TYPES as SEARCH_TYPES
from app.services.social import UserCounts
from app.web.templating import iso_utc

MAX_PAGE_SIZE = 100
# Ids are INTEGER columns: 32-bit on PostgreSQL, where a larger bound value
# is an error rather than "no such row".
MAX_ID = 2**31 - 1
CONTROL_CHARACTERS = "Remove the control characters from the text."
NOT_UNICODE = "The text is not valid Unicode."


class Text(fields.String):
    """A string that is valid Unicode and free of control characters.

    :param multiline: allow newline, carriage return and tab.
    """

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiline = multiline

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        # JSON may carry lone surrogates; they cannot be stored or hashed.
        if any("\ud800" <= ch <= "\udfff" for ch in text):
            raise ValidationError(NOT_UNICODE)
        if validation.has_forbidden_control(text, allow_newlines=self.multiline):
            raise ValidationError(CONTROL_CHARACTERS)
        return text


class Cleaned(Text):
    """A ``Text`` passed through one of the ``app.validation`` checkers."""

    def __init__(self, cleaner: Callable[[str], str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cleaner = cleaner

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.cleaner(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class UTCDateTime(fields.DateTime):
    """ISO 8601 in UTC with a ``Z``, as the pages' ``<time datetime>`` use."""

    def _serialize(
        self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else iso_utc(value)


def _check_cursor(value: str) -> None:
    try:
        cursor = parse_cursor(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if cursor is not None and cursor > MAX_ID:
        raise ValidationError("The cursor does not name a page.")


@dataclass(frozen=True)
class UserCard:
    """A user together with the counts shown beside them."""

    user: User
    counts: UserCounts


# --- input ---------------------------------------------------------------


class PageQueryIn(Schema):
    cursor = fields.String(
        validate=_check_cursor,
        metadata={
            "description": "Opaque: the `next_cursor` of the previous page. "
            "Omit it for the newest items.",
            "examples": ["1024"],
        },
    )
    limit = fields.Integer(
        validate=Range(1, MAX_PAGE_SIZE),
        metadata={
            "description": "Items per page, 1 to 100 (default: the server's "
            "POSTS_PER_PAGE, 25 unless configured).",
            "examples": [25],
        },
    )


class UserCreateIn(Schema):
    username = Cleaned(
        validation.clean_username,
        required=True,
        metadata={
            "description": "3 to 32 ASCII letters, digits and underscores; "
            "unique ignoring case. Shown publicly.",
            "minLength": validation.USERNAME_MIN,
            "maxLength": USERNAME_MAX,
            "pattern": "^[A-Za-z0-9_]+$",
            "examples": ["jenny_wren"],
        },
    )
    email = Cleaned(
        validation.clean_email,
        required=True,
        metadata={
            "description": "Never shown to other users; a confirmation link is "
            "mailed to it.",
            "format": "email",
            "maxLength": EMAIL_MAX,
            "examples": ["jenny@example.com"],
        },
    )
    password = Text(
        required=True,
        load_only=True,
        validate=Length(validation.PASSWORD_MIN, validation.PASSWORD_MAX),
        metadata={
            "description": "8 to 128 characters, not a common password and not "
            "equal to the username or email.",
            "writeOnly": True,
            "examples": ["a long and memorable phrase"],
        },
    )
    invite = Text(
        validate=Length(max=128),
        metadata={
            "description": "The code of an invite link; required when the site "
            "registers by invitation only (REGISTRATION_MODE=invite).",
            "maxLength": 128,
        },
    )


class MeUpdateIn(Schema):
    username = Cleaned(
        validation.clean_username,
        metadata={
            "description": "A new username (3 to 32 letters, digits, underscores).",
            "minLength": validation.USERNAME_MIN,
            "maxLength": USERNAME_MAX,
            "pattern": "^[A-Za-z0-9_]+$",
            "examples": ["jenny_wren"],
        },
    )
    about_me = Cleaned(
        validation.clean_about_me,
        multiline=True,
        metadata={
            "description": "Up to 280 characters after trimming; newlines allowed.",
            "maxLength": ABOUT_MAX,
            "examples": ["Small bird, loud song."],
        },
    )


def _post_body() -> Cleaned:
    return Cleaned(
        validation.clean_post_body,
        multiline=True,
        required=True,
        metadata={
            "description": "1 to 280 characters after trimming; newlines "
            "allowed. `@username` mentions an existing user, `#tag` tags the "
            "post, and http(s) URLs become links.",
            "minLength": 1,
            "maxLength": POST_MAX,
            "examples": ["Hello, Wren!"],
        },
    )


class PostIn(Schema):
    # Checked in full by app.services.posts, which knows whether the post
    # has pictures (then the text may be empty).
    body = Cleaned(
        validation.clean_post_text,
        multiline=True,
        load_default="",
        metadata={
            "description": "Up to 280 characters after trimming; newlines "
            "allowed; at least 1 unless `media_ids` gives a picture. "
            "`@username` mentions an existing user, `#tag` tags the post, "
            "and http(s) URLs become links.",
            "maxLength": POST_MAX,
            "examples": ["Hello, Wren!"],
        },
    )
    media_ids = fields.List(
        fields.Integer(strict=True, validate=Range(1, MAX_ID)),
        load_default=list,
        validate=Length(max=MEDIA_PER_POST),
        metadata={
            "description": "Up to 4 pictures uploaded with `POST /api/media`, "
            "in the order to show them: your own uploads that no post has "
            "used yet (anything else is a 422 and nothing is posted).",
            "examples": [[12, 13]],
        },
    )
    in_reply_to = fields.Integer(
        allow_none=True,
        strict=True,
        validate=Range(1, MAX_ID),
        metadata={
            "description": "The id of the post this one answers (404 if it "
            "does not exist).",
            "examples": [41],
        },
    )


class PostUpdateIn(Schema):
    body = _post_body()


class NotificationQueryIn(PageQueryIn):
    unread = fields.Boolean(
        load_default=False,
        metadata={"description": "Only unread notifications."},
    )


class SearchQueryIn(PageQueryIn):
    q = fields.String(
        required=True,
        metadata={
            "description": "What to look for: words (all must match, in any "
            'form: "walk" finds "walked"), `"a phrase"`, `-word` to leave '
            "out, `#tag`, `@username` (posts by or mentioning them). With "
            "`type=users`: a username prefix or words of the about text. "
            "Anything else is read as words; only the first 256 characters "
            "count.",
            "examples": ["coffee #mornings"],
        },
    )
    type = fields.String(
        load_default="posts",
        validate=OneOf(SEARCH_TYPES),
        metadata={"description": "Search posts or people.", "enum": list(SEARCH_TYPES)},
    )
    sort = fields.String(
        load_default="newest",
        validate=OneOf(SEARCH_SORTS),
        metadata={
            "description": "Posts newest first, or best match first (among "
            "the 1,000 newest matches).",
            "enum": list(SEARCH_SORTS),
        },
    )


# --- output --------------------------------------------------------------


def _avatar(user: User) -> str:
    return user.avatar_url()


AVATAR_META = {
    "type": "string",
    "description": "Gravatar image, or a generated image served by Wren "
    "(a relative URL) when AVATAR_PROVIDER is local.",
}
TIME_META = {"description": "ISO 8601, UTC.", "examples": ["2026-01-31T12:00:00Z"]}


class AuthorOut(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    avatar_url = fields.Function(_avatar, required=True, metadata=AVATAR_META)


class MediaIn(Schema):
    file = fields.File(
        required=True,
        metadata={
            "description": "A JPEG, PNG, WebP or GIF (its first frame), up to "
            "10 MB and 40 megapixels. What it is is decided by decoding it; "
            "it is re-encoded without its metadata (EXIF, GPS)."
        },
    )
    alt = Cleaned(
        clean_alt,
        load_default="",
        metadata={
            "description": "A description for people who cannot see it, up "
            f"to {ALT_MAX} characters.",
            "maxLength": ALT_MAX,
            "examples": ["A wren singing on a fence post"],
        },
    )


class MediaOut(Schema):
    id = fields.Integer(required=True, metadata={"examples": [12]})
    url = fields.String(
        required=True,
        metadata={
            "description": "The picture (longest side at most 2048 px), a "
            "relative URL; it never changes, so it may be cached for good.",
            "examples": ["/media/3f2a…9c.jpg"],
        },
    )
    thumbnail_url = fields.String(
        required=True,
        metadata={"description": "A copy at most 400 px on its longest side."},
    )
    alt = fields.String(required=True)
    width = fields.Integer(required=True, metadata={"examples": [2048]})
    height = fields.Integer(required=True, metadata={"examples": [1536]})


class PictureOut(MediaOut):
    """A post's picture: the same fields as an upload's answer (a schema
    of its own, as the OpenAPI document names each once)."""


class PostOut(Schema):
    id = fields.Integer(required=True, metadata={"examples": [42]})
    body = fields.String(required=True, metadata={"examples": ["Hello, Wren!"]})
    created_at = UTCDateTime(required=True, metadata=TIME_META)
    author = fields.Nested(AuthorOut, required=True)
    in_reply_to = fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "The id of the post this one answers (which may "
            "since have been deleted), or null."
        },
    )
    reply_count = fields.Integer(required=True, metadata={"examples": [2]})
    like_count = fields.Integer(required=True, metadata={"examples": [5]})
    liked = fields.Boolean(
        required=True, metadata={"description": "Whether you have liked it."}
    )
    edited_at = UTCDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When it was last edited (ISO 8601, UTC), or null."},
    )
    mentions = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Usernames of the users it mentions."},
    )
    tags = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Its hashtags, lower case, without the #."},
    )
    media = fields.List(
        fields.Nested(PictureOut),
        required=True,
        metadata={"description": "Its pictures (0 to 4), in order."},
    )


class UserOut(Schema):
    id = fields.Integer(required=True, attribute="user.id", metadata={"examples": [7]})
    username = fields.String(
        required=True, attribute="user.username", metadata={"examples": ["jenny_wren"]}
    )
    about_me = fields.String(required=True, attribute="user.about_me")
    avatar_url = fields.Function(
        lambda card: card.user.avatar_url(), required=True, metadata=AVATAR_META
    )
    created_at = UTCDateTime(
        required=True, attribute="user.created_at", metadata=TIME_META
    )
    last_seen = UTCDateTime(
        required=True, attribute="user.last_seen", metadata=TIME_META
    )
    post_count = fields.Integer(required=True, attribute="counts.post_count")
    follower_count = fields.Integer(required=True, attribute="counts.follower_count")
    following_count = fields.Integer(required=True, attribute="counts.following_count")


class MeOut(UserOut):
    email = fields.String(
        required=True,
        attribute="user.email",
        metadata={"description": "Only ever shown to its owner.", "format": "email"},
    )
    email_confirmed = fields.Boolean(required=True, attribute="user.email_confirmed")


# APIFlask registers top-level response schemas itself and apispec registers
# nested ones; the same class met both ways is added twice. Pages therefore
# nest these identical subclasses.
class PostItemOut(PostOut):
    """A post in a page; the same fields as PostOut."""


class UserItemOut(UserOut):
    """A user in a page; the same fields as UserOut."""


class NotificationPostOut(PostOut):
    """The post a notification is about; the same fields as PostOut."""


class ActorOut(AuthorOut):
    """Who did what a notification tells; the same fields as AuthorOut."""


class NotificationOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(
        required=True,
        validate=OneOf(NOTIFICATION_KINDS),
        metadata={
            "enum": list(NOTIFICATION_KINDS),
            "description": "export: your data export is ready to download from "
            "/settings/export (the actor is you, the post null).",
        },
    )
    created_at = UTCDateTime(required=True, metadata=TIME_META)
    read = fields.Boolean(required=True)
    actor = fields.Nested(ActorOut, required=True)
    post = fields.Nested(
        NotificationPostOut,
        required=True,
        allow_none=True,
        metadata={
            "description": "The reply, the post that mentions you or the post "
            "that was liked; null for a follow or an export."
        },
    )


NEXT_CURSOR_META = {
    "description": "Pass as `?cursor=` to get the next page; null on the last page."
}


class PostPageOut(Schema):
    items = fields.List(fields.Nested(PostItemOut), required=True)
    next_cursor = fields.String(
        required=True, allow_none=True, metadata=NEXT_CURSOR_META
    )


class NotificationPageOut(Schema):
    items = fields.List(fields.Nested(NotificationOut), required=True)
    next_cursor = fields.String(
        required=True, allow_none=True, metadata=NEXT_CURSOR_META
    )


# --- private messages ------------------------------------------------------
# ("Message" alone names the {"message"} answer of MessageOut above.)


class PrivateMessageIn(Schema):
    body = Cleaned(
        validation.clean_message_body,
        multiline=True,
        required=True,
        metadata={
            "description": "1 to 1000 characters after trimming; newlines "
            "allowed. http(s) URLs become links.",
            "minLength": 1,
            "maxLength": MESSAGE_MAX,
            "examples": ["Are you going to the river tomorrow?"],
        },
    )


class CorrespondentOut(AuthorOut):
    """One side of a conversation; the same fields as AuthorOut."""


class PrivateMessageOut(Schema):
    id = fields.Integer(required=True, metadata={"examples": [51]})
    body = fields.String(required=True)
    created_at = UTCDateTime(required=True, metadata=TIME_META)
    sender = fields.Nested(CorrespondentOut, required=True)
    recipient = fields.Nested(CorrespondentOut, required=True)
    read = fields.Boolean(
        required=True,
        metadata={"description": "Whether the recipient has opened it."},
    )


class PrivateMessageItemOut(PrivateMessageOut):
    """A message in a page; the same fields as PrivateMessageOut."""


class ConversationOut(Schema):
    with_ = fields.Nested(
        CorrespondentOut,
        required=True,
        data_key="with",
        metadata={"description": "The other person."},
    )
    last = fields.Nested(
        PrivateMessageItemOut,
        required=True,
        metadata={"description": "The newest message, from either side."},
    )
    unread = fields.Integer(
        required=True,
        metadata={"description": "Their messages you have not read yet."},
    )


class PrivateMessagePageOut(Schema):
    items = fields.List(fields.Nested(PrivateMessageItemOut), required=True)
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Pass as `?cursor=` for older messages; null on the "
            "last page."
        },
    )


class ConversationPageOut(Schema):
    items = fields.List(fields.Nested(ConversationOut), required=True)
    next_cursor = fields.String(
        required=True, allow_none=True, metadata=NEXT_CURSOR_META
    )


class UserPageOut(Schema):
    items = fields.List(fields.Nested(UserItemOut), required=True)
    next_cursor = fields.String(
        required=True, allow_none=True, metadata=NEXT_CURSOR_META
    )


class TokenHeadersIn(Schema):
    otp = fields.String(
        data_key="X-Wren-OTP",
        required=False,
        validate=Length(max=64),
        metadata={
            "description": "For an account with two-factor authentication: "
            "the current 6-digit code from the app, or an unused recovery code. "
            "Without it (or with a wrong one) the answer is 401 with the header "
            "`X-Wren-OTP: required`, only after a correct password."
        },
    )


class TokenOut(Schema):
    token = fields.String(
        required=True,
        metadata={
            "description": "Send as `Authorization: Bearer <token>`. Shown once.",
            "examples": ["q1Zr0GxL3a6m0n7xY2b5Tt9vWcR4kQeJ8sHdFpUiA0o"],
        },
    )
    expires_at = UTCDateTime(required=True, metadata=TIME_META)


class MessageOut(Schema):
    message = fields.String(required=True)
