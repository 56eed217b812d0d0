"""JSON API blueprint, the request checks every endpoint shares, and helpers.

The endpoints live in ``tokens``, ``users``, ``posts`` and ``docs``; importing
the package registers them on ``bp``.
"""

from __future__ import annotations

from typing import Any, NoReturn

from apiflask import APIBlueprint, abort
from flask import Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState

from app.api.schemas import MAX_ID, MAX_PAGE_SIZE
from app.avatars import avatar_for
from app.extensions import db
from app.models import TAG_MAX, Post, User
from app.pagination import Page, parse_cursor
from app.services import posts, timelines
from app.services.errors import DomainError
from app.services.media import media_json
from app.services.notifications import NotificationView
from app.services.timelines import PostView
from app.web.templating import iso_utc

bp = APIBlueprint("api", __name__)

API_DESCRIPTION = """\
The JSON API of Wren, a small microblog.

**Authentication.** Obtain a token with `POST /api/tokens` using HTTP Basic
authentication (username or email, and password), then send it on every other
call as `Authorization: Bearer <token>`. Tokens expire (see `expires_at`) and
`DELETE /api/tokens` revokes one early. Changing or resetting the password, or
deleting the account, revokes all of a user's tokens.

**Pages.** Lists return `{"items": [...], "next_cursor": ...}`, newest first.
Pass `next_cursor` back as `?cursor=` for the next page; it is null on the last
page. `?limit=` sets the page size (1 to 100).

**Errors.** Every error is JSON with at least a `message`. Invalid input is 422
with the reasons per location and field:
`{"message": "Validation error", "detail": {"json": {"body": ["..."]}}}`.
Request bodies must be `application/json` (else 415); malformed JSON is 400.
A suspended account, or one waiting for a moderator's approval, gets 403.
"""

TAGS = [
    {"name": "Tokens", "description": "Obtain and revoke bearer tokens."},
    {"name": "Users", "description": "Accounts, profiles and who follows whom."},
    {"name": "Me", "description": "The account that owns the token."},
    {"name": "Posts", "description": "Writing, editing and reading posts."},
    {
        "name": "Conversation",
        "description": "Replies, likes and tags around posts.",
    },
    {"name": "Search", "description": "Finding posts and people."},
    {
        "name": "Notifications",
        "description": "Follows, replies, mentions and likes by other people.",
    },
    {
        "name": "Messages",
        "description": "Private messages: only the two people in a "
        "conversation can read it.",
    },
    {"name": "Reports", "description": "Reporting posts and accounts to moderators."},
]

# Answered by require_json_body (and werkzeug, for 413) before any view runs.
BODY_ERRORS: dict[int | str, Any] = {
    400: "The request body is not valid JSON.",
    413: "The request body is larger than 1 MB.",
    415: "The request body is not JSON (send Content-Type: application/json).",
}

HTTP_ERROR_SCHEMA = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "detail": {"type": "object"},
    },
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "required": ["message", "detail"],
    "properties": {
        "message": {"type": "string", "examples": ["Validation error"]},
        "detail": {
            "type": "object",
            "description": "Reasons by location (json, query, path) and field.",
            "additionalProperties": {"type": "object"},
            "examples": [{"json": {"body": ["Write something in the post."]}}],
        },
    },
}


PATH_IDS = {
    "user_id": ("The user's id.", 2),
    "post_id": ("The post's id.", 1),
}


TAG_PARAMETER = {
    "description": "A hashtag without the #, in any case.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": TAG_MAX,
        "examples": ["birds"],
    },
}


def document_path_ids(spec: dict[str, Any]) -> dict[str, Any]:
    """Give the path parameters their real range and an example.

    APIFlask documents ``<int:...>`` parameters as bare integers; the ids are
    positive and fit PostgreSQL's INTEGER. A tag is 1 to 64 characters.
    """
    for path, item in spec.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "path":
                    continue
                if parameter["name"] == "tag":
                    parameter.update(TAG_PARAMETER)
                    continue
                if parameter["name"] not in PATH_IDS:
                    continue
                description, example = PATH_IDS[parameter["name"]]
                parameter["description"] = description
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_ID,
                    "examples": [example],
                }
    return spec


@bp.record_once
def _describe_api(state: BlueprintSetupState) -> None:
    config = state.app.config
    if not config.get("DESCRIPTION"):
        config["DESCRIPTION"] = API_DESCRIPTION
    if config.get("TAGS") is None:
        config["TAGS"] = TAGS
    if config.get("SERVERS") is None:
        # Relative, so Swagger UI's "Try it out" always calls the host that
        # served the page (the spec is generated once and cached).
        config["SERVERS"] = [{"url": "/", "description": "This Wren server"}]
    # APIFlask's own docs views are off (docs_path=None); should anyone turn
    # them on, they must still not reach for a CDN.
    static = state.app.static_url_path
    config["DOCS_FAVICON"] = f"{static}/img/wren.svg"
    config["SWAGGER_UI_CSS"] = f"{static}/vendor/swagger-ui/swagger-ui.css"
    config["SWAGGER_UI_BUNDLE_JS"] = f"{static}/vendor/swagger-ui/swagger-ui-bundle.js"
    config["REDOC_STANDALONE_JS"] = f"{static}/vendor/redoc/redoc.standalone.js"
    config["REDOC_USE_GOOGLE_FONT"] = False
    config["HTTP_ERROR_SCHEMA"] = HTTP_ERROR_SCHEMA
    config["VALIDATION_ERROR_SCHEMA"] = VALIDATION_ERROR_SCHEMA
    if state.app.spec_callback is None:  # type: ignore[attr-defined]
        state.app.spec_processor(document_path_ids)  # type: ignore[attr-defined]


@bp.before_request
def require_json_body() -> None:
    """Refuse bodies that are not JSON, and JSON that does not parse."""
    if request.method not in {"POST", "PUT", "PATCH"}:
        return
    data = request.get_data(cache=True)
    if not data:
        return
    if not request.is_json:
        abort(
            415,
            "Send the request body as JSON with Content-Type: application/json.",
        )
    try:
        # The app's parser refuses nesting past app.json.MAX_DEPTH with a
        # ValueError, so "[" * 100000 is a 400 here, before webargs parses the
        # body again with the standard library (RecursionError near 1,000).
        current_app.json.loads(data)
    except ValueError as exc:
        abort(400, f"The request body is not valid JSON: {exc}")


def domain_error(exc: DomainError, location: str = "json") -> NoReturn:
    """Answer a broken rule as a 422 in the shape of APIFlask's validation errors."""
    if exc.field:
        abort(422, "Validation error", detail={location: {exc.field: [exc.message]}})
    abort(422, exc.message)


def _in_range(ident: int) -> bool:
    # Larger ids cannot exist, and PostgreSQL refuses them as INTEGER values.
    return 0 < ident <= MAX_ID


def get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id) if _in_range(user_id) else None
    if user is None:
        abort(404, "There is no user with that id.")
    return user


def get_post_or_404(post_id: int) -> Post:
    post = posts.get(post_id) if _in_range(post_id) else None
    if post is None:
        abort(404, "There is no post with that id.")
    return post


def get_post_view_or_404(post_id: int, viewer_id: int) -> PostView:
    view = timelines.view(post_id, viewer_id) if _in_range(post_id) else None
    if view is None:
        abort(404, "There is no post with that id.")
    return view


def page_args(query_data: dict[str, Any]) -> tuple[int | None, int]:
    """The cursor (already validated by the schema) and page size of a request."""
    limit = query_data.get("limit") or min(
        current_app.config["POSTS_PER_PAGE"], MAX_PAGE_SIZE
    )
    return parse_cursor(query_data.get("cursor")), limit


def post_json(post: PostView) -> dict[str, Any]:
    """A post in exactly the shape of ``PostOut``.

    Built directly, not dumped through the schema: marshmallow took a
    quarter of /api/feed's time. Views still declare ``@bp.output`` for the
    OpenAPI document (APIFlask passes a Response through untouched), and a
    test holds this shape to the schema's.
    """
    return {
        "id": post.id,
        "body": post.body,
        "created_at": iso_utc(post.created_at),
        "author": {
            "id": post.user_id,
            "username": post.username,
            "avatar_url": avatar_for(post.email, uploaded=post.avatar),
        },
        "in_reply_to": post.in_reply_to_id,
        "reply_count": post.reply_count,
        "like_count": post.like_count,
        "liked": post.liked,
        "edited_at": None if post.edited_at is None else iso_utc(post.edited_at),
        "mentions": list(post.mentions),
        "tags": list(post.tags),
        "media": [media_json(picture) for picture in post.media],
    }


def post_response(post: PostView, status: int = 200) -> Response:
    response = jsonify(post_json(post))
    response.status_code = status
    return response


def post_page_response(page: Page[PostView]) -> Response:
    """A page of posts as JSON, in exactly the shape of ``PostPageOut``."""
    items = [post_json(post) for post in page.items]
    return jsonify(items=items, next_cursor=page.next_cursor)


def notification_page_response(page: Page[NotificationView]) -> Response:
    """A page of notifications in exactly the shape of ``NotificationPageOut``."""
    items = [
        {
            "id": item.id,
            "kind": item.kind,
            "created_at": iso_utc(item.created_at),
            "read": item.read,
            "actor": {
                "id": item.actor_id,
                "username": item.actor_username,
                "avatar_url": avatar_for(item.actor_email, uploaded=item.actor_avatar),
            },
            "post": None if item.post is None else post_json(item.post),
        }
        for item in page.items
    ]
    return jsonify(items=items, next_cursor=page.next_cursor)
