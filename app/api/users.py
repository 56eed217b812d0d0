"""Accounts, profiles, the token owner's own account, and following."""

from __future__ import annotations

from typing import Any

from apiflask import abort
from flask.typing import ResponseReturnValue

from app.api.auth import current_user, token_auth
from app.api.routes import (
    BODY_ERRORS,
    bp,
    domain_error,
    get_user_or_404,
    page_args,
    post_page_response,
)
from app.api.schemas import (
    MeOut,
    MessageOut,
    MeUpdateIn,
    PageQueryIn,
    PostPageOut,
    UserCard,
    UserCreateIn,
    UserOut,
    UserPageOut,
)
from app.api.tokens import BEARER_CHALLENGE
from app.extensions import limiter
from app.models import User
from app.pagination import Page
from app.services import accounts, social, timelines
from app.services.errors import DomainError, Forbidden
from app.web.headers import no_content
from app.web.ratelimits import register_limits

REGISTRATION_PENDING = (
    "Check the inbox of that address to continue. If it can be used for a new "
    "account, the account was created and a confirmation link is on its way."
)
USER_EXAMPLE = {
    "id": 7,
    "username": "jenny_wren",
    "about_me": "Small bird, loud song.",
    "avatar_url": "https://www.gravatar.com/avatar/0f1e2d?d=identicon&s=80",
    "created_at": "2026-01-31T12:00:00Z",
    "last_seen": "2026-02-01T08:30:00Z",
    "post_count": 12,
    "follower_count": 3,
    "following_count": 5,
}
ME_EXAMPLE = {**USER_EXAMPLE, "email": "jenny@example.com", "email_confirmed": True}
AUTH: dict[int | str, Any] = {401: BEARER_CHALLENGE}
REFUSED_DOC = (
    "A block stands between you and that account (either of you blocked the "
    "other): no follows, replies, likes or messages."
)


def card(user: User) -> UserCard:
    return UserCard(user, social.counts_for(user))


def card_page(page: Page[User]) -> Page[UserCard]:
    """Attach counts to a page of users with one query for the whole page."""
    counts = social.counts(user.id for user in page.items)
    return Page(
        items=[UserCard(u, counts.get(u.id, social.UserCounts())) for u in page.items],
        next_cursor=page.next_cursor,
    )


@bp.post("/users")
@limiter.limit(register_limits)
@bp.input(
    UserCreateIn,
    location="json",
    example={
        "username": "jenny_wren",
        "email": "jenny@example.com",
        "password": "a long and memorable phrase",
    },
)
@bp.output(
    MessageOut,
    status_code=202,
    description="Accepted: the next step is in the inbox of the address. The "
    "answer is the same whether or not the address already has an account.",
    example={"message": REGISTRATION_PENDING},
)
@bp.doc(
    tags=["Users"],
    responses={**BODY_ERRORS, 429: "Too many registrations from this client."},
)
def create_user(json_data: dict[str, Any]) -> dict[str, str]:
    """Register a new account.

    The answer is always 202 with a neutral message, so it never says
    whether someone holds the address: a new address gets a confirmation
    link (the account can obtain a token at once), a taken one gets a
    notice to its owner and nothing is created. A taken username is a 422
    (usernames are public). Where registration is by invitation, `invite`
    must hold a live invite code (else 422); where a moderator approves new
    accounts, the account can obtain a token once approved.
    """
    try:
        accounts.register(
            json_data["username"],
            json_data["email"],
            json_data["password"],
            invite=json_data.get("invite"),
        )
    except DomainError as exc:
        domain_error(exc)
    return {"message": REGISTRATION_PENDING}


@bp.get("/users/<int:user_id>")
@bp.auth_required(token_auth)
@bp.output(UserOut, example=USER_EXAMPLE)
@bp.doc(tags=["Users"], responses=AUTH)
def get_user(user_id: int) -> UserCard:
    """Get a user's public profile."""
    return card(get_user_or_404(user_id))


@bp.get("/users/<int:user_id>/posts")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(PostPageOut)
@bp.doc(tags=["Users"], responses=AUTH)
def get_user_posts(user_id: int, query_data: dict[str, Any]) -> ResponseReturnValue:
    """List a user's posts, newest first."""
    user = get_user_or_404(user_id)
    page = timelines.user_posts_page(
        user, *page_args(query_data), viewer_id=current_user().id
    )
    return post_page_response(page)


@bp.get("/users/<int:user_id>/followers")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(UserPageOut)
@bp.doc(tags=["Users"], responses=AUTH)
def get_followers(user_id: int, query_data: dict[str, Any]) -> Page[UserCard]:
    """List the users who follow a user."""
    user = get_user_or_404(user_id)
    page = social.followers_page(user, *page_args(query_data))
    return card_page(page)


@bp.get("/users/<int:user_id>/following")
@bp.auth_required(token_auth)
@bp.input(PageQueryIn, location="query")
@bp.output(UserPageOut)
@bp.doc(tags=["Users"], responses=AUTH)
def get_following(user_id: int, query_data: dict[str, Any]) -> Page[UserCard]:
    """List the users a user follows."""
    user = get_user_or_404(user_id)
    page = social.following_page(user, *page_args(query_data))
    return card_page(page)


@bp.get("/me")
@bp.auth_required(token_auth)
@bp.output(MeOut, example=ME_EXAMPLE)
@bp.doc(tags=["Me"], responses=AUTH)
def get_me() -> UserCard:
    """Get your own account, including your email address."""
    return card(current_user())


@bp.patch("/me")
@bp.auth_required(token_auth)
@bp.input(MeUpdateIn, location="json", example={"about_me": "Small bird, loud song."})
@bp.output(MeOut, example=ME_EXAMPLE)
@bp.doc(tags=["Me"], responses={**AUTH, **BODY_ERRORS})
def update_me(json_data: dict[str, Any]) -> UserCard:
    """Change your username or about-me text.

    Send only the fields to change. A username taken by someone else is a 422.
    """
    try:
        user = accounts.update_profile(
            current_user(),
            username=json_data.get("username"),
            about_me=json_data.get("about_me"),
        )
    except DomainError as exc:
        domain_error(exc)
    return card(user)


@bp.put("/me/following/<int:user_id>")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You follow the user.")
@bp.doc(
    tags=["Me"],
    responses={
        **AUTH,
        **BODY_ERRORS,
        403: REFUSED_DOC,
        422: "You cannot follow yourself.",
    },
)
def follow_user(user_id: int) -> ResponseReturnValue:
    """Follow a user (doing it again changes nothing)."""
    other = get_user_or_404(user_id)
    try:
        social.follow(current_user(), other)
    except Forbidden as exc:
        abort(403, exc.message)
    except DomainError as exc:
        domain_error(exc, location="path")
    return no_content()


@bp.delete("/me/following/<int:user_id>")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You do not follow the user.")
@bp.doc(tags=["Me"], responses=AUTH)
def unfollow_user(user_id: int) -> ResponseReturnValue:
    """Stop following a user (doing it again changes nothing)."""
    social.unfollow(current_user(), get_user_or_404(user_id))
    return no_content()
