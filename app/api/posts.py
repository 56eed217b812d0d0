"""Writing, editing, reading and deleting posts; replies, likes and tags;
the explore list, the feed and notifications."""

from __future__ import annotations

from typing import Any

from apiflask import abort
from flask.typing import ResponseReturnValue

from app.api.auth import current_user, token_auth
from app.api.routes import (
    BODY_ERRORS,
    bp,
    domain_error,
    get_post_or_404,
    get_post_view_or_404,
    notification_page_response,
    page_args,
    post_page_response,
    post_response,
)
from app.api.schemas import (
    NotificationPageOut,
    NotificationQueryIn,
    PageQueryIn,
    PostIn,
    PostOut,
    PostPageOut,
    PostUpdateIn,
    UserCard,
    UserPageOut,
)
from app.api.tokens import BEARER_CHALLENGE
from app.api.users import REFUSED_DOC, card_page
from app.pagination import Page
from app.services import likes, notifications, post_text, posts, timelines
from app.services.errors import DomainError, Forbidden, NotFound
from app.web.headers import no_content

POST_EXAMPLE = {
    "id": 42,
    "body": "Hello, @robin! #birds",
    "created_at": "2026-01-31T12:00:00Z",
    "author": {
        "id": 7,
        "username": "jenny_wren",
        "avatar_url": "https://www.gravatar.com/avatar/0f1e2d?d=identicon&s=80",
    },
    "in_reply_to": None,
    "reply_count": 2,
    "like_count": 5,
    "liked": False,
    "edited_at": None,
    "mentions": ["robin"],
    "tags": ["birds"],
    "media": [],
}
PAGE_EXAMPLE = {"items": [POST_EXAMPLE], "next_cursor": "42"}
NOTIFICATION_EXAMPLE = {
    "items": [
        {
            "id": 310,
            "kind": "like",
            "created_at": "2026-02-01T09:00:00Z",
            "read": False,
            "actor": {
                "id": 9,
                "username": "robin",
                "avatar_url": "https://www.gravatar.com/avatar/9a8b7c?d=identicon&s=80",
            },
            "post": POST_EXAMPLE,
        }
    ],
    "next_cursor": None,
}
AUTH: dict[int | str, Any] = {401: BEARER_CHALLENGE}
NOT_FOUND: dict[int | str, Any] = {404: "There is no post with that id."}
NOT_YOURS: dict[int | str, Any] = {403: "The post is someone else's."}
BLOCKED: dict[int | str, Any] = {403: REFUSED_DOC}


def viewer_id() -> int:
    return current_user().id


@bp.post("/posts")
@bp.auth_required(token_auth)
@bp.input(PostIn, location="json", example={"body": "Hello, @robin! #birds"})
@bp.output(PostOut, status_code=201, example=POST_EXAMPLE)
@bp.doc(
    tags=["Posts"],
    responses={
        **AUTH,
        **BODY_ERRORS,
        **BLOCKED,
        404: "The post to reply to does not exist.",
    },
)
def create_post(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Publish a post, or a reply with `in_reply_to`, as the token's owner.

    Mentioned users and the author of the post replied to are notified.
    Pictures are uploaded first with `POST /api/media`; `media_ids` then
    attaches up to four of them.
    """
    try:
        post = posts.publish(
            current_user(),
            json_data["body"],
            json_data.get("in_reply_to"),
            media_ids=json_data["media_ids"],
        )
    except NotFound as exc:
        abort(404, exc.message)
    except Forbidden as exc:
        abort(403, exc.message)
    except DomainError as exc:
        domain_error(exc)
    return post_response(get_post_view_or_404(post.id, viewer_id()), 201)


@bp.get("/posts")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(PostPageOut, example=PAGE_EXAMPLE)
@bp.doc(tags=["Posts"], responses=AUTH)
def list_posts(query_data: dict[str, Any]) -> ResponseReturnValue:
    """List everyone's posts, newest first (explore)."""
    page = timelines.explore_page(*page_args(query_data), viewer_id=viewer_id())
    return post_page_response(page)


@bp.get("/posts/<int:post_id>")
@bp.auth_required(token_auth)
@bp.output(PostOut, example=POST_EXAMPLE)
@bp.doc(tags=["Posts"], responses={**AUTH, **NOT_FOUND})
def get_post(post_id: int) -> ResponseReturnValue:
    """Get one post."""
    return post_response(get_post_view_or_404(post_id, viewer_id()))


@bp.patch("/posts/<int:post_id>")
@bp.auth_required(token_auth)
@bp.input(PostUpdateIn, location="json", example={"body": "Hello, Wren! (edited)"})
@bp.output(PostOut, example={**POST_EXAMPLE, "edited_at": "2026-01-31T12:05:00Z"})
@bp.doc(tags=["Posts"], responses={**AUTH, **BODY_ERRORS, **NOT_FOUND, **NOT_YOURS})
def update_post(post_id: int, json_data: dict[str, Any]) -> ResponseReturnValue:
    """Edit one of your posts.

    The earlier text is kept in the post's history and `edited_at` is set.
    Mentions and tags follow the new text.
    """
    post = get_post_or_404(post_id)
    try:
        posts.edit(post, current_user(), json_data["body"])
    except Forbidden as exc:
        abort(403, exc.message)
    except DomainError as exc:
        domain_error(exc)
    return post_response(get_post_view_or_404(post_id, viewer_id()))


@bp.delete("/posts/<int:post_id>")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="The post was deleted.")
@bp.doc(tags=["Posts"], responses={**AUTH, **NOT_FOUND, **NOT_YOURS})
def delete_post(post_id: int) -> ResponseReturnValue:
    """Delete one of your posts. Its replies stay."""
    post = get_post_or_404(post_id)
    try:
        posts.delete(post, current_user())
    except Forbidden as exc:
        abort(403, exc.message)
    return no_content()


@bp.get("/posts/<int:post_id>/replies")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(PostPageOut, example=PAGE_EXAMPLE)
@bp.doc(tags=["Conversation"], responses={**AUTH, **NOT_FOUND})
def list_replies(post_id: int, query_data: dict[str, Any]) -> ResponseReturnValue:
    """List the replies to a post, oldest first (unlike other lists).

    `next_cursor` continues with later replies.
    """
    get_post_or_404(post_id)
    page = timelines.replies_page(post_id, *page_args(query_data), viewer_id())
    return post_page_response(page)


@bp.get("/posts/<int:post_id>/likes")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(UserPageOut)
@bp.doc(tags=["Conversation"], responses={**AUTH, **NOT_FOUND})
def list_likes(post_id: int, query_data: dict[str, Any]) -> Page[UserCard]:
    """List who liked a post, newest like first."""
    post = get_post_or_404(post_id)
    likers = likes.likers_page(post, *page_args(query_data), viewer_id())
    page = Page([liker.user for liker in likers.items], likers.next_cursor)
    return card_page(page)


@bp.put("/posts/<int:post_id>/like")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You like the post.")
@bp.doc(
    tags=["Conversation"], responses={**AUTH, **BODY_ERRORS, **BLOCKED, **NOT_FOUND}
)
def like_post(post_id: int) -> ResponseReturnValue:
    """Like a post (doing it again changes nothing)."""
    get_post_or_404(post_id)
    try:
        likes.like(current_user(), post_id)
    except NotFound as exc:
        abort(404, exc.message)
    except Forbidden as exc:
        abort(403, exc.message)
    return no_content()


@bp.delete("/posts/<int:post_id>/like")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You do not like the post.")
@bp.doc(tags=["Conversation"], responses={**AUTH, **NOT_FOUND})
def unlike_post(post_id: int) -> ResponseReturnValue:
    """Take back your like of a post (doing it again changes nothing)."""
    get_post_or_404(post_id)
    try:
        likes.unlike(current_user(), post_id)
    except NotFound as exc:
        abort(404, exc.message)
    return no_content()


@bp.get("/tags/<tag>/posts")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(PostPageOut, example=PAGE_EXAMPLE)
@bp.doc(tags=["Conversation"], responses={**AUTH, 404: "That is not a tag."})
def list_tag_posts(tag: str, query_data: dict[str, Any]) -> ResponseReturnValue:
    """List the posts with a hashtag (without the #, any case), newest first."""
    key = post_text.tag_key(tag)
    if key is None:
        abort(404, "That is not a tag: 1 to 64 letters, digits or underscores.")
    page = timelines.tag_page(key, *page_args(query_data), viewer_id())
    return post_page_response(page)


@bp.get("/feed")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(PostPageOut, example=PAGE_EXAMPLE)
@bp.doc(tags=["Posts"], responses=AUTH)
def get_feed(query_data: dict[str, Any]) -> ResponseReturnValue:
    """List your posts and those of the people you follow, newest first."""
    page = timelines.feed_page(current_user(), *page_args(query_data))
    return post_page_response(page)


@bp.get("/notifications")
@bp.auth_required(token_auth)
@bp.input(NotificationQueryIn, location="query")
@bp.output(NotificationPageOut, example=NOTIFICATION_EXAMPLE)
@bp.doc(tags=["Notifications"], responses=AUTH)
def list_notifications(query_data: dict[str, Any]) -> ResponseReturnValue:
    """List your notifications, newest first (`?unread=true`: unread only)."""
    page = notifications.page(
        current_user(), *page_args(query_data), unread_only=query_data["unread"]
    )
    return notification_page_response(page)


@bp.post("/notifications/read")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="Every notification is read.")
@bp.doc(tags=["Notifications"], responses={**AUTH, **BODY_ERRORS})
def read_notifications() -> ResponseReturnValue:
    """Mark all your notifications as read."""
    notifications.mark_all_read(current_user())
    return no_content()
