"""A request id for every request: logged, and returned in X-Request-ID.

Assigned in a WSGI wrapper rather than Flask hooks: it is the same small job
on every request, and two hooks and a header write cost more than the job.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from typing import Any

from flask import Flask, has_request_context, request

HEADER = "X-Request-ID"
ENVIRON_KEY = "wren.request_id"
# Accept a proxy's id only when it is short and harmless to log.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    if has_request_context():
        return request.environ.get(ENVIRON_KEY, "-")
    return "-"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class RequestIdMiddleware:
    """Take the proxy's X-Request-ID if it is safe, else make one; echo it."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        environ[ENVIRON_KEY] = rid

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            headers.append((HEADER, rid))
            return start_response(status, headers, *exc_info)

        return self.wsgi_app(environ, start)


def init_app(app: Flask) -> None:
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)  # type: ignore[method-assign]
