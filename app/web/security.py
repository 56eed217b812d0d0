"""Small security helpers used by several blueprints.

The site's own address never comes from the request: external links are
built on PUBLIC_URL (:func:`external_url`), the HTTPS redirect goes to its
host, and in production Flask's TRUSTED_HOSTS (PUBLIC_URL's host plus the
TRUSTED_HOSTS setting) turns any other Host into a 400.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import SecurityError
from werkzeug.sansio.utils import get_current_url

# Load balancers probe these over plain http; a redirect would fail them.
_NEVER_REDIRECTED = {"health"}
# ... and with whatever Host they like (often the server's own address).
# Flask refuses to route a request for an untrusted host, so the probes are
# answered by path.
PROBES = {"/healthz": "health.healthz", "/readyz": "health.readyz"}
UNKNOWN_HOST = "This server does not answer for that host name."


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a same-site relative path, else None.

    Browsers treat backslashes as slashes and ignore tabs and newlines in
    URLs, so ``/\\evil``, ``//evil`` and ``/\\t/evil`` all leave the site.
    """
    if not target:
        return None
    if any(ch in target for ch in "\\\t\r\n") or any(ord(ch) < 32 for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for ``endpoint``, for mail and anything read elsewhere.

    Built on PUBLIC_URL when it is set (always, in production); without it
    (development, testing) on the request's own host.
    """
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    return str(base) + url_for(endpoint, _external=False, **values)


def redirect_to_https() -> ResponseReturnValue | None:
    """Send plain-http requests to https, on PUBLIC_URL's host.

    ``request.is_secure`` believes X-Forwarded-Proto only from the proxies
    in TRUSTED_PROXIES, never from the client itself.
    """
    if request.is_secure or request.blueprint in _NEVER_REDIRECTED:
        return None
    public = current_app.config.get("PUBLIC_URL")
    host = urlsplit(public).netloc if public else request.host
    url = get_current_url(
        "https", host, request.root_path, request.path, request.query_string
    )
    # 308 keeps the method and body of a POST; GETs may be cached for good.
    code = 301 if request.method in {"GET", "HEAD"} else 308
    return redirect(url, code=code)


def refuse_untrusted_host() -> ResponseReturnValue | None:
    """Answer a request whose Host is not in TRUSTED_HOSTS: 400, probes aside.

    Flask has already refused to route it (and to build URLs for it), so
    the answer is a plain one rather than a page in the site layout.
    """
    if not isinstance(request.routing_exception, SecurityError):
        return None
    probe = PROBES.get(request.path)
    if probe is not None and request.method in {"GET", "HEAD"}:
        view = current_app.ensure_sync(current_app.view_functions[probe])
        return current_app.make_response(view())
    from app.errors.handlers import wants_json

    if wants_json():
        response = jsonify(message=UNKNOWN_HOST)
    else:
        response = current_app.response_class(
            UNKNOWN_HOST + "\n", mimetype="text/plain"
        )
    response.status_code = 400
    return response


def init_app(app: Flask) -> None:
    """The host check, then the HTTPS redirect, before any other hook."""
    app.before_request(refuse_untrusted_host)
    if app.config["FORCE_HTTPS"] and not app.debug:
        app.before_request(redirect_to_https)
