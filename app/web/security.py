"""Small security helpers used by several blueprints."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, redirect, request
from flask.typing import ResponseReturnValue

# Load balancers probe these over plain http; a redirect would fail them.
_NEVER_REDIRECTED = {"health"}


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


def redirect_to_https() -> ResponseReturnValue | None:
    """Send plain-http requests to https.

    ``request.is_secure`` believes X-Forwarded-Proto only from the proxies
    in TRUSTED_PROXIES, never from the client itself.
    """
    if request.is_secure or request.blueprint in _NEVER_REDIRECTED:
        return None
    url = request.url.replace("http://", "https://", 1)
    # 308 keeps the method and body of a POST; GETs may be cached for good.
    code = 301 if request.method in {"GET", "HEAD"} else 308
    return redirect(url, code=code)


def init_https_redirect(app: Flask) -> None:
    if app.config["FORCE_HTTPS"] and not app.debug:
        app.before_request(redirect_to_https)
