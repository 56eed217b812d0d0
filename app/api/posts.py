"""Writing, reading and deleting posts; the explore list and the feed."""

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
    no_content,
    page_args,
    post_page_response,
)
from app.api.schemas import PageQueryIn, PostIn, PostOut, PostPageOut
from app.api.tokens import BEARER_CHALLENGE
from app.models import Post
from app.services import posts
from app.services.errors import DomainError, Forbidden

POST_EXAMPLE = {
    "id": 42,
    "body": "Hello, Wren!",
    "created_at": "2026-01-31T12:00:00Z",
    "author": {
        "id": 7,
        "username": "jenny_wren",
        "avatar_url": "https://www.gravatar.com/avatar/0f1e2d?d=identicon&s=80",
    },
}
PAGE_EXAMPLE = {"items": [POST_EXAMPLE], "next_cursor": "42"}
AUTH: dict[int | str, Any] = {401: BEARER_CHALLENGE}


@bp.post("/posts")
@bp.auth_required(token_auth)
@bp.input(PostIn, location="json", example={"body": "Hello, Wren!"})
@bp.output(PostOut, status_code=201, example=POST_EXAMPLE)
@bp.doc(tags=["Posts"], responses={**AUTH, **BODY_ERRORS})
def create_post(json_data: dict[str, Any]) -> Post:
    """Publish a post as the token's owner."""
    try:
        return posts.publish(current_user(), json_data["body"])
    except DomainError as exc:
        domain_error(exc)


@bp.get("/posts")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(PostPageOut, example=PAGE_EXAMPLE)
@bp.doc(tags=["Posts"], responses=AUTH)
def list_posts(query_data: dict[str, Any]) -> ResponseReturnValue:
    """List everyone's posts, newest first (explore)."""
    page = posts.explore_page(*page_args(query_data))
    return post_page_response(page)


@bp.get("/posts/<int:post_id>")
@bp.auth_required(token_auth)
@bp.output(PostOut, example=POST_EXAMPLE)
@bp.doc(tags=["Posts"], responses=AUTH)
def get_post(post_id: int) -> Post:
    """Get one post."""
    return get_post_or_404(post_id)


@bp.delete("/posts/<int:post_id>")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="The post was deleted.")
@bp.doc(tags=["Posts"], responses={**AUTH, 403: "The post is someone else's."})
def delete_post(post_id: int) -> ResponseReturnValue:
    """Delete one of your posts."""
    post = get_post_or_404(post_id)
    try:
        posts.delete(post, current_user())
    except Forbidden as exc:
        abort(403, exc.message)
    return no_content()


@bp.get("/feed")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(PostPageOut, example=PAGE_EXAMPLE)
@bp.doc(tags=["Posts"], responses=AUTH)
def get_feed(query_data: dict[str, Any]) -> ResponseReturnValue:
    """List your posts and those of the people you follow, newest first."""
    page = posts.feed_page(current_user(), *page_args(query_data))
    return post_page_response(page)
