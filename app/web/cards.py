"""Post cards: the part every reader sees alike, rendered once and shared.

A card shows the post and its author's name and avatar. Its cache key holds
the post id and a digest of every author value the card shows, so a renamed
author or a changed address simply makes new keys: nothing is ever
invalidated, and no write elsewhere empties anything. The cache is
Flask-Caching's (in-process by default, Redis when configured, so that nodes
share it). What differs per reader, such as the delete button under their
own posts, is rendered around the card by the page's template.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NamedTuple

from flask import Flask, current_app, request, url_for
from markupsafe import Markup

from app.avatars import avatar_for
from app.extensions import cache
from app.services.posts import PostView

TEMPLATE = "main/_post.html"
AVATAR_SIZE = 48


class _Author(NamedTuple):
    digest: str  # of every author value a card shows
    url: str
    avatar_url: str


def _author(username: str, email: str) -> _Author:
    shown = f"{username}\0{email}\0{request.script_root}"
    return _Author(
        hashlib.blake2b(shown.encode(), digest_size=12).hexdigest(),
        url_for("main.user_profile", username=username),
        avatar_for(email, AVATAR_SIZE),
    )


def post_cards(posts: Sequence[PostView]) -> list[tuple[PostView, Markup]]:
    """Each post with its shared card, from the cache or rendered now.

    One round trip to the cache for the whole page, and one to store the
    cards it lacked. A page often shows a few authors many times, so each
    author's part of the key and links are worked out once per page.
    """
    version = current_app.config["WREN_RENDER_VERSION"]
    authors: dict[tuple[str, str], _Author] = {}
    keys = []
    for post in posts:
        author = authors.get((post.username, post.email))
        if author is None:
            author = authors[post.username, post.email] = _author(
                post.username, post.email
            )
        keys.append(f"card:{version}:{post.id}:{author.digest}")
    found = cache.get_many(*keys) if keys else []
    macro = None
    missing: dict[str, str] = {}
    cards = []
    for post, key, html in zip(posts, keys, found, strict=True):
        if html is None:
            if macro is None:
                macro = current_app.jinja_env.get_template(TEMPLATE).module.post_card  # type: ignore[attr-defined]
            author = authors[post.username, post.email]
            html = missing[key] = str(macro(post, author.url, author.avatar_url))
        # A template's own output, kept as text by the cache.
        cards.append((post, Markup(html)))  # noqa: S704
    if missing:
        cache.set_many(missing)
    return cards


def init_app(app: Flask) -> None:
    app.add_template_global(post_cards, "post_cards")
