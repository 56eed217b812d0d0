"""Request size: MAX_CONTENT_LENGTH (1 MB) everywhere but the upload forms.

Only the endpoints named here accept bigger bodies: enough for their
pictures (10 MB each) plus the form around them. The limit is raised in a
URL value preprocessor, which Flask runs before every before_request hook:
CSRF protection reads the form in one, and the form must not be read under
the 1 MB limit first. Werkzeug refuses a larger body with 413 before
reading it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request

from app.media_models import MEDIA_PER_POST
from app.services.images import MAX_BYTES


def upload_limits(form_allowance: int) -> dict[str, int]:
    """Endpoint -> the largest body it takes."""
    one = MAX_BYTES + form_allowance
    return {
        "main.index": MEDIA_PER_POST * MAX_BYTES + form_allowance,
        "api.upload_media": one,
        "main.settings_avatar": one,
    }


def raise_limit(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    limits: dict[str, int] = current_app.extensions["wren_upload_limits"]
    limit = limits.get(endpoint or "")
    if limit is not None and request.method == "POST":
        request.max_content_length = limit


def init_app(app: Flask) -> None:
    app.extensions["wren_upload_limits"] = upload_limits(
        app.config["MAX_CONTENT_LENGTH"]
    )
    app.url_value_preprocessor(raise_limit)
