"""Security headers on every response: CSP, framing, sniffing, referrer, HSTS.

The headers are the same for every response of an app, so they are built once
at start-up. (Flask-Talisman, used before, rebuilt the policy string and a
nonce for each response: a sixth of a small page's time. A nonce protects
nothing here: no page has an inline script, and 'self' already admits ours.)
A view may swap in its own policy with :func:`content_security_policy`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, make_response, request
from flask.wrappers import Response

Policy = dict[str, str | list[str]]

HSTS = "max-age=31556926; includeSubDomains"  # a year


def policy_header(policy: Policy) -> str:
    """``{"img-src": ["'self'", "data:"]}`` -> ``"img-src 'self' data:"``."""
    parts = []
    for directive, sources in policy.items():
        value = sources if isinstance(sources, str) else " ".join(sources)
        parts.append(f"{directive} {value}")
    return "; ".join(parts)


def content_security_policy(
    policy: Policy,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view to answer with ``policy`` instead of the app's."""
    header = policy_header(policy)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            response = make_response(view(*args, **kwargs))
            response.headers["Content-Security-Policy"] = header
            return response

        return wrapper

    return decorator


def init_app(app: Flask, policy: Policy, *, hsts: bool) -> None:
    """Add the headers to every response of ``app``.

    :param hsts: send Strict-Transport-Security on https requests (as seen
        through ProxyFix). Only production sets it: a browser that saw it
        for localhost would refuse plain http there for a year.
    """
    fixed = {
        "Content-Security-Policy": policy_header(policy),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "browsing-topics=()",
    }

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        for name, value in fixed.items():
            headers.setdefault(name, value)
        if hsts and request.is_secure:
            headers["Strict-Transport-Security"] = HSTS
        return response
