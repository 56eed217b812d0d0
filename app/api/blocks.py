"""Blocking and muting a user as the token's owner (rules in
app/services/blocks.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.typing import ResponseReturnValue

from app.api.auth import current_user, token_auth
from app.api.routes import BODY_ERRORS, bp, domain_error, get_user_or_404
from app.api.tokens import BEARER_CHALLENGE
from app.models import User
from app.services import blocks
from app.services.errors import DomainError
from app.web.headers import no_content

NO_SUCH_USER: dict[int | str, Any] = {404: "There is no user with that id."}
AUTH: dict[int | str, Any] = {401: BEARER_CHALLENGE, **NO_SUCH_USER}


def _act(user_id: int, action: Callable[[User, User], None]) -> ResponseReturnValue:
    other = get_user_or_404(user_id)
    try:
        action(current_user(), other)
    except DomainError as exc:
        domain_error(exc, location="path")
    return no_content()


@bp.put("/users/<int:user_id>/block")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You block the user.")
@bp.doc(
    tags=["Users"],
    responses={**AUTH, **BODY_ERRORS, 422: blocks.CANNOT_BLOCK_SELF},
)
def block_user(user_id: int) -> ResponseReturnValue:
    """Block a user (doing it again changes nothing).

    Follows between you end both ways. While the block lasts neither of you
    can follow, reply to, like or message the other (403), a mention
    notifies nobody, and their posts and notifications are hidden from you.
    """
    return _act(user_id, blocks.block)


@bp.delete("/users/<int:user_id>/block")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You do not block the user.")
@bp.doc(tags=["Users"], responses={**AUTH, **BODY_ERRORS})
def unblock_user(user_id: int) -> ResponseReturnValue:
    """Lift your block on a user (doing it again changes nothing).

    Follows the block ended stay ended.
    """
    return _act(user_id, blocks.unblock)


@bp.put("/users/<int:user_id>/mute")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You mute the user.")
@bp.doc(
    tags=["Users"],
    responses={**AUTH, **BODY_ERRORS, 422: blocks.CANNOT_MUTE_SELF},
)
def mute_user(user_id: int) -> ResponseReturnValue:
    """Mute a user (doing it again changes nothing).

    Their posts and notifications are hidden from you; they are not told,
    and nothing changes for them.
    """
    return _act(user_id, blocks.mute)


@bp.delete("/users/<int:user_id>/mute")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You do not mute the user.")
@bp.doc(tags=["Users"], responses={**AUTH, **BODY_ERRORS})
def unmute_user(user_id: int) -> ResponseReturnValue:
    """Unmute a user (doing it again changes nothing)."""
    return _act(user_id, blocks.unmute)
