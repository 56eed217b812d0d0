"""One place decides whether an error is an HTML page or a JSON body.

Pages speak the reader's language; JSON bodies are for programs and stay in
English (app.i18n.API_LOCALE), whatever the browser asks for.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from apiflask.types import ResponseReturnValueType
from flask import current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.i18n import API_LOCALE
from app.web.login import mark_database_down
from app.web.request_id import current_request_id

TITLES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please try again."),
    ),
    401: (_l("Please log in"), _l("You need to log in to see this page.")),
    403: (_l("Forbidden"), _l("You are not allowed to do that.")),
    404: (_l("Page not found"), _l("There is nothing at this address.")),
    405: (
        _l("Method not allowed"),
        _l("This address does not accept that kind of request."),
    ),
    413: (_l("Too large"), _l("What you sent is larger than we accept.")),
    415: (
        _l("Unsupported media type"),
        _l("The request body is not in a format we accept."),
    ),
    429: (
        _l("Slow down"),
        _l("Too many requests. Please wait a little and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error happened on our side."),
    ),
    503: (
        _l("Temporarily unavailable"),
        _l("Wren cannot reach its database right now."),
    ),
}
OTHER = (_l("Error"), _l("Something went wrong."))

STALE_FORM = _l(
    "This form has expired, for example because you logged out in another tab. "
    "Go back, reload the page and try again."
)


def wants_json() -> bool:
    if request.path == "/api" or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and (
        request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(
    status: int,
    message: str | LazyString | None = None,
    headers: dict[str, str] | None = None,
    detail: Any = None,
) -> ResponseReturnValue:
    """``message`` may be lazy (``lazy_gettext``): it is read in English for
    a JSON body and in the reader's language for a page."""
    title, default_message = TITLES.get(status, OTHER)
    message = message or default_message
    if wants_json():
        with force_locale(API_LOCALE):
            body: dict[str, Any] = {"message": str(message)}
        if detail:
            body["detail"] = detail
        response = jsonify(body)
    else:
        # Plain strings: Jinja would take a lazy string (it has __html__) for
        # markup and skip escaping the user input some messages hold.
        response = current_app.make_response(
            render_template(
                "errors/error.html",
                status=status,
                title=str(title),
                message=str(message),
            )
        )
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _http_headers(error: HTTPException) -> dict[str, str]:
    return {
        key: value
        for key, value in error.get_headers()
        if key.lower() not in {"content-type", "content-length"}
    }


def handle_http_exception(error: HTTPException) -> ResponseReturnValue:
    if error.code is None:
        return error
    if error.code >= 500:
        db.session.rollback()
    description = error.description if _custom_description(error) else None
    return error_response(error.code, description, _http_headers(error))


def handle_csrf_error(error: CSRFError) -> ResponseReturnValue:
    # Flask-WTF's reasons ("The CSRF session token is missing.") mean nothing
    # to a person; the usual cause is a tab left open across a logout.
    return error_response(400, STALE_FORM)


def _custom_description(error: HTTPException) -> bool:
    """True when a view passed its own message to abort()."""
    return error.description != type(error).description


def handle_api_error(error: HTTPError) -> ResponseReturnValueType:
    """APIFlask's validation and abort() errors: always JSON."""
    body: dict[str, Any] = {"message": error.message, **error.extra_data}
    if error.detail:
        body["detail"] = error.detail
    if error.status_code >= 500:
        db.session.rollback()
    return body, error.status_code, error.headers


def handle_internal_error(error: InternalServerError) -> ResponseReturnValue:
    db.session.rollback()
    current_app.logger.error(
        "Unhandled error (request id %s)",
        current_request_id(),
        exc_info=error.original_exception or error,
    )
    return error_response(
        500,
        _l(
            "An unexpected error happened on our side. Reference: %(id)s.",
            id=current_request_id(),
        ),
    )


def handle_database_unavailable(error: sa.exc.DBAPIError) -> ResponseReturnValue:
    """A lost or locked database answers 503; the pool reconnects later."""
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        db.session.remove()
    current_app.logger.warning("Database unavailable: %s", error.orig)
    # Render the page as anonymous: loading the user would hit the database.
    mark_database_down()
    return error_response(503, headers={"Retry-After": "5"})


def register_error_handlers(app: APIFlask) -> None:
    # APIFlask sends validation, abort() and auth errors through error_callback;
    # assigning it (rather than app.error_processor) keeps APIFlask from taking
    # over werkzeug's errors, which the handler below renders as HTML or JSON.
    app.error_callback = handle_api_error
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(InternalServerError, handle_internal_error)
    app.register_error_handler(sa.exc.OperationalError, handle_database_unavailable)
    app.register_error_handler(sa.exc.InterfaceError, handle_database_unavailable)
