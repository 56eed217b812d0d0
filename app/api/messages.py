"""Private messages: your conversations, one conversation, sending.

A conversation is named by the other person's id; the token's owner is
always the other side, so no id reaches a conversation between two others.
"""

from __future__ import annotations

from typing import Any

from apiflask import abort
from flask import Response, jsonify
from flask.typing import ResponseReturnValue

from app.api.auth import current_user, token_auth
from app.api.routes import BODY_ERRORS, bp, domain_error, get_user_or_404, page_args
from app.api.schemas import (
    ConversationPageOut,
    PageQueryIn,
    PrivateMessageIn,
    PrivateMessageOut,
    PrivateMessagePageOut,
)
from app.api.tokens import BEARER_CHALLENGE
from app.api.users import REFUSED_DOC
from app.avatars import avatar_for
from app.extensions import limiter
from app.models import User
from app.services import messages
from app.services.errors import DomainError, Forbidden, NotFound
from app.services.messages import ConversationView, MessageView
from app.web.ratelimits import MESSAGE_SCOPE, message_limits
from app.web.templating import iso_utc

ROBIN = {
    "id": 9,
    "username": "robin",
    "avatar_url": "https://www.gravatar.com/avatar/9a8b7c?d=identicon&s=80",
}
JENNY = {
    "id": 7,
    "username": "jenny_wren",
    "avatar_url": "https://www.gravatar.com/avatar/0f1e2d?d=identicon&s=80",
}
MESSAGE_EXAMPLE = {
    "id": 51,
    "body": "Are you going to the river tomorrow?",
    "created_at": "2026-02-01T09:00:00Z",
    "sender": JENNY,
    "recipient": ROBIN,
    "read": False,
}
AUTH: dict[int | str, Any] = {401: BEARER_CHALLENGE}
NO_USER: dict[int | str, Any] = {
    404: "There is no user with that id (or it is your own)."
}


def _api_user_key() -> str:
    # The same key as the pages' (app.web.ratelimits.current_user_key), so
    # that sends through both count in one bucket per account.
    return f"user:{current_user().id}"


send_limit = limiter.shared_limit(
    message_limits, scope=MESSAGE_SCOPE, key_func=_api_user_key
)


def other_user_or_404(user_id: int) -> User:
    """The other side of a conversation. Your own id names none: 404."""
    other = get_user_or_404(user_id)
    if other.id == current_user().id:
        abort(404, "There is no conversation with yourself.")
    return other


def _person(
    user_id: int, username: str, email: str, avatar: str | None
) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": username,
        "avatar_url": avatar_for(email, uploaded=avatar),
    }


def message_json(message: MessageView, me: User, other: User) -> dict[str, Any]:
    """A message in exactly the shape of ``PrivateMessageOut``."""
    people = {
        me.id: _person(me.id, me.username, me.email, me.avatar),
        other.id: _person(other.id, other.username, other.email, other.avatar),
    }
    return {
        "id": message.id,
        "body": message.body,
        "created_at": iso_utc(message.created_at),
        "sender": people[message.sender_id],
        "recipient": people[message.recipient_id],
        "read": message.read,
    }


def conversation_json(item: ConversationView, me: User) -> dict[str, Any]:
    """A conversation in exactly the shape of ``ConversationOut``."""
    other = _person(
        item.other_id, item.other_username, item.other_email, item.other_avatar
    )
    people = {
        me.id: _person(me.id, me.username, me.email, me.avatar),
        item.other_id: other,
    }
    last = item.last
    return {
        "with": other,
        "last": {
            "id": last.id,
            "body": last.body,
            "created_at": iso_utc(last.created_at),
            "sender": people[last.sender_id],
            "recipient": people[last.recipient_id],
            "read": last.read,
        },
        "unread": item.unread,
    }


@bp.get("/messages")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(
    ConversationPageOut,
    example={
        "items": [{"with": ROBIN, "last": MESSAGE_EXAMPLE, "unread": 0}],
        "next_cursor": None,
    },
)
@bp.doc(tags=["Messages"], responses=AUTH)
def list_conversations(query_data: dict[str, Any]) -> ResponseReturnValue:
    """List your conversations, the one with the newest message first.

    Each shows the other person, the newest message and how many of their
    messages you have not read.
    """
    me = current_user()
    page = messages.conversations_page(me, *page_args(query_data))
    items = [conversation_json(item, me) for item in page.items]
    return jsonify(items=items, next_cursor=page.next_cursor)


@bp.get("/messages/<int:user_id>")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(
    PrivateMessagePageOut,
    example={"items": [MESSAGE_EXAMPLE], "next_cursor": "50"},
)
@bp.doc(tags=["Messages"], responses={**AUTH, **NO_USER})
def list_messages(user_id: int, query_data: dict[str, Any]) -> ResponseReturnValue:
    """List your conversation with a user, newest message first.

    Reading it marks their messages to you as read. `next_cursor` continues
    with older messages.
    """
    me = current_user()
    other = other_user_or_404(user_id)
    messages.mark_read(me, other)
    page = messages.conversation_page(me, other, *page_args(query_data))
    items = [message_json(message, me, other) for message in page.items]
    return jsonify(items=items, next_cursor=page.next_cursor)


@bp.post("/messages/<int:user_id>")
@bp.auth_required(token_auth)
@bp.input(PrivateMessageIn, location="json", example={"body": MESSAGE_EXAMPLE["body"]})
@bp.output(PrivateMessageOut, status_code=201, example=MESSAGE_EXAMPLE)
@bp.doc(
    tags=["Messages"],
    responses={
        **AUTH,
        **BODY_ERRORS,
        403: REFUSED_DOC,
        404: "There is no user with that id.",
        429: "Too many messages: MESSAGE_RATE_LIMIT per account (30 per minute "
        "unless configured).",
    },
)
@send_limit
def send_message(user_id: int, json_data: dict[str, Any]) -> Response:
    """Send a private message to a user (not to yourself: 422)."""
    me = current_user()
    other = get_user_or_404(user_id)
    try:
        message = messages.send(me, other, json_data["body"])
    except NotFound as exc:
        abort(404, exc.message)
    except Forbidden as exc:
        abort(403, exc.message)
    except DomainError as exc:
        domain_error(exc)
    response = jsonify(message_json(message, me, other))
    response.status_code = 201
    return response
