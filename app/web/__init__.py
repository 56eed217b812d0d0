"""Request plumbing every blueprint shares.

- ``request_id``: an id per request, logged and echoed in X-Request-ID;
- ``headers``: security headers and Cache-Control;
- ``login``: Flask-Login on server-side login records;
- ``ratelimits``: the limit strings and keys the views' decorators use;
- ``security``: safe ``next`` targets and the HTTPS redirect;
- ``templating``, ``cards`` and ``conditional``: template filters, shared
  post cards, and ETags that spare rendering a page the browser already has;
- ``uploads``: the larger request size of the picture upload endpoints.
"""

from __future__ import annotations

from flask import Flask

from app.web import (
    cards,
    conditional,
    headers,
    login,
    request_id,
    security,
    templating,
    uploads,
)

__all__ = [
    "cards",
    "conditional",
    "headers",
    "init_app",
    "login",
    "request_id",
    "security",
    "templating",
    "uploads",
]


def init_app(app: Flask, csp: headers.Policy, *, hsts: bool) -> None:
    from app.extensions import login_manager

    login.init_app(app, login_manager)
    headers.init_app(app, csp, hsts=hsts)
    templating.init_app(app)
    cards.init_app(app)
    uploads.init_app(app)
