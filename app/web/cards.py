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

from flask import Flask, current_app, request, url_for
from markupsafe import Markup

from app.avatars import avatar_for
from app.extensions import cache
from app.services.posts import PostView

TEMPLATE = "main/_post.html"
AVATAR_SIZE = 48


def _card_key(post: PostView, version: str) -> str:
    author = f"{post.username}\0{post.email}\0{request.script_root}"
    digest = hashlib.blake2b(author.encode(), digest_size=12).hexdigest()
    return f"card:{version}:{post.id}:{digest}"


def _render(post: PostView) -> str:
    macro = current_app.jinja_env.get_template(TEMPLATE).module.post_card  # type: ignore[attr-defined]
    author_url = url_for("main.user_profile", username=post.username)
    return str(macro(post, author_url, avatar_for(post.email, AVATAR_SIZE)))


def post_cards(posts: Sequence[PostView]) -> list[tuple[PostView, Markup]]:
    """Each post with its shared card, from the cache or rendered now.

    One round trip to the cache for the whole page, and one to store the
    cards it lacked.
    """
    version = current_app.config["WREN_RENDER_VERSION"]
    keys = [_card_key(post, version) for post in posts]
    found = cache.get_many(*keys) if keys else []
    missing: dict[str, str] = {}
    cards = []
    for post, key, html in zip(posts, keys, found, strict=True):
        if html is None:
            html = missing[key] = _render(post)
        # A template's own output, kept as text by the cache.
        cards.append((post, Markup(html)))  # noqa: S704
    if missing:
        cache.set_many(missing)
    return cards


def init_app(app: Flask) -> None:
    app.add_template_global(post_cards, "post_cards")
