"""The one permission check of the /admin views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.extensions import login_manager
from app.services.moderation import has_role

F = TypeVar("F", bound=Callable[..., Any])


def requires_role(role: str) -> Callable[[F], F]:
    """Let in readers holding ``role`` or a higher one.

    Anonymous readers are sent to log in; everyone else gets 403 before the
    view runs, so a forged POST changes nothing. Who may act on which
    account is decided further in, by app.services.moderation.may_act_on.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_role(current_user, role):
                abort(403, _l("Only moderators can see this page."))
            return view(*args, **kwargs)

        return cast(F, checked)

    return decorate
