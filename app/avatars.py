"""Avatar URLs: Gravatar, or a locally generated identicon that leaks nothing."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from flask import current_app, url_for

GRAVATAR_URL = "https://www.gravatar.com/avatar/{digest}?d=identicon&s={size}"
MIN_SIZE, MAX_SIZE = 16, 512


# A page shows 25 avatars, mostly of the same few authors: remember digests.
@lru_cache(maxsize=8192)
def email_digest(email: str) -> str:
    """Gravatar's hash: SHA-256 of the trimmed, lower-cased address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


@lru_cache(maxsize=8192)
def _keyed_digest(key: str, email: str) -> str:
    message = email.strip().lower().encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def local_digest(email: str) -> str:
    """A keyed hash, so the avatar URL cannot be matched to an address."""
    return _keyed_digest(current_app.config["SECRET_KEY"], email)


def clamp_size(size: int) -> int:
    return max(MIN_SIZE, min(MAX_SIZE, size))


def avatar_for(email: str, size: int = 80, uploaded: str | None = None) -> str:
    """The avatar URL for an account: its ``uploaded`` picture (the stored
    name in ``users.avatar``) when it has one, else the address's avatar
    from whichever provider is configured.

    An uploaded avatar is one 400 px square file whatever ``size``: the
    page's width and height attributes scale it.
    """
    if uploaded:
        return url_for("media.serve", name=uploaded)
    size = clamp_size(size)
    if current_app.config["AVATAR_PROVIDER"] == "local":
        return url_for("main.avatar", digest=local_digest(email), s=size)
    return GRAVATAR_URL.format(digest=email_digest(email), size=size)


def identicon_svg(digest: str, size: int) -> str:
    """A 5x5 mirrored identicon, like Gravatar's, drawn from the digest bytes."""
    data = bytes.fromhex(hashlib.sha256(digest.encode()).hexdigest())
    hue = int.from_bytes(data[:2], "big") % 360
    colour = f"hsl({hue} 55% 50%)"
    background = f"hsl({hue} 30% 92%)"
    cells: list[str] = []
    for row in range(5):
        for col in range(3):
            if data[2 + row * 3 + col] % 2 == 0:
                continue
            for x in {col, 4 - col}:
                cells.append(
                    f'<rect x="{x + 0.5}" y="{row + 0.5}" width="1" height="1"/>'
                )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 6 6" role="img" aria-label="avatar">'
        f'<rect width="6" height="6" fill="{background}"/>'
        f'<g fill="{colour}">{"".join(cells)}</g></svg>'
    )
