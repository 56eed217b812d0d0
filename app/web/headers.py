"""Headers on every response: CSP, framing, sniffing, referrer, HSTS, caching.

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

from flask import Flask, current_app, g, make_response, request
from flask.wrappers import Response

from app.web.login import reader


def no_content() -> Response:
    """An empty 204, without the content type Flask (or APIFlask's JSON)
    would add: the pages' fetches and the API answer it alike."""
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]
    return response


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


class SecurityHeadersMiddleware:
    """Add the fixed headers to each response that does not set its own.

    A WSGI wrapper, not an after_request hook: it appends prebuilt pairs to
    the header list, where a hook went through Werkzeug's header object one
    name at a time. It sits inside ProxyFix, so the URL scheme it reads for
    HSTS is the one the trusted proxy reported.
    """

    def __init__(self, wsgi_app: Any, fixed: dict[str, str], *, hsts: bool) -> None:
        self.wsgi_app = wsgi_app
        self.fixed = list(fixed.items())
        self.with_hsts = [*self.fixed, ("Strict-Transport-Security", HSTS)]
        self.hsts = hsts

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        secure = self.hsts and environ.get("wsgi.url_scheme") == "https"
        extra = self.with_hsts if secure else self.fixed

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            present = {name.lower() for name, _ in headers}
            headers.extend(p for p in extra if p[0].lower() not in present)
            return start_response(status, headers, *exc_info)

        return self.wsgi_app(environ, start)


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
    app.wsgi_app = SecurityHeadersMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, fixed, hsts=hsts
    )
    app.after_request(cache_control)


# Pages that look the same to every anonymous reader (no form, no token): a
# shared cache in front of the app may keep them for a few seconds.
PUBLIC_WHEN_ANONYMOUS = frozenset(
    {
        "main.index",
        "main.explore",
        "main.user_profile",
        "main.followers",
        "main.following",
        "main.thread",
        "main.tag",
        "main.post_likes",
        "main.post_history",
        "main.user_feed",
        "main.tag_feed",
        "main.search_page",
    }
)
ANONYMOUS_MAX_AGE = 5


def cache_control(response: Response) -> Response:
    """Say who may keep a page: nobody (settings), the browser, or anyone.

    Responses that already say (static files, avatars, the API's tokens)
    are left alone.
    """
    if "Cache-Control" in response.headers or request.blueprint == "health":
        return response
    endpoint = request.endpoint or ""
    if endpoint == "static":
        return response
    if endpoint.startswith("main.settings") or request.blueprint == "auth":
        response.cache_control.no_store = True
    elif g.get("wren_database_down"):  # the reader cannot be loaded now
        response.cache_control.no_cache = True
    elif request.authorization is not None or reader() is not None:
        response.cache_control.private = True
        response.cache_control.no_cache = True
    elif (
        endpoint in PUBLIC_WHEN_ANONYMOUS
        and request.method in {"GET", "HEAD"}
        # A 304 says what its 200 said, or it would cut the stored copy's
        # lifetime short (RFC 9110, 15.4.5).
        and response.status_code in {200, 304}
        and "Set-Cookie" not in response.headers
    ):
        response.cache_control.public = True
        response.cache_control.max_age = ANONYMOUS_MAX_AGE
    else:
        response.cache_control.no_cache = True
    return response
