"""Small security helpers used by several blueprints."""

from __future__ import annotations

from urllib.parse import urlsplit


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
