"""Searching posts and people."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from app.api.auth import current_user, token_auth
from app.api.posts import AUTH, PAGE_EXAMPLE
from app.api.routes import bp, page_args, post_page_response
from app.api.schemas import SearchQueryIn, UserPageOut
from app.api.users import USER_EXAMPLE, card_page
from app.services import search

SEARCH_RESPONSE = {
    "description": "A page of posts (`type=posts`) or of users (`type=users`), "
    "in the shapes of the other lists.",
    "content": {
        "application/json": {
            "schema": {
                "anyOf": [
                    {"$ref": "#/components/schemas/PostPageOut"},
                    {"$ref": "#/components/schemas/UserPageOut"},
                ]
            },
            "examples": {
                "posts": {"value": PAGE_EXAMPLE},
                "users": {"value": {"items": [USER_EXAMPLE], "next_cursor": None}},
            },
        }
    },
}


@bp.get("/search")
@bp.auth_required(token_auth)
@bp.input(SearchQueryIn, location="query")
@bp.doc(tags=["Search"], responses={200: SEARCH_RESPONSE, **AUTH})
def search_posts_or_users(query_data: dict[str, Any]) -> ResponseReturnValue:
    """Search posts (newest or best first) or people.

    Input that is no query at all (only exclusions, punctuation) finds
    nothing; it is never an error.
    """
    cursor, limit = page_args(query_data)
    if query_data["type"] == "users":
        page = search.user_page(query_data["q"], cursor, limit, current_user().id)
        return UserPageOut().dump(card_page(page))
    found = search.post_page(
        query_data["q"], cursor, limit, current_user().id, query_data["sort"]
    )
    return post_page_response(found)
