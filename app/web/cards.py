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

from collections.abc import Sequence

from flask import Flask, current_app, url_for
from markupsafe import Markup

from app.avatars import avatar_for
from app.extensions import cache
from app.services.posts import PostView
from app.web.templating import fragment_key

TEMPLATE = "main/_post.html"
AVATAR_SIZE = 48


def post_cards(posts: Sequence[PostView]) -> list[tuple[PostView, Markup]]:
    """Each post with its shared card, from the cache or rendered now.

    One round trip to the cache for the whole page, and one to store the
    cards it lacked. A page often shows a few authors many times, so each
    author's part of the key is worked out once per page, and their links
    only when one of their cards must be rendered.
    """
    # The author part also holds the render version and the script root.
    digests: dict[tuple[str, str], str] = {}
    keys = []
    for post in posts:
        author = (post.username, post.email)
        digest = digests.get(author)
        if digest is None:
            digest = digests[author] = fragment_key("card author", *author)
        keys.append(f"card:{post.id}:{digest}")
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


def _render(post: PostView) -> str:
    template = current_app.jinja_env.get_template(TEMPLATE)
    author_url = url_for("main.user_profile", username=post.username)
    avatar_url = avatar_for(post.email, AVATAR_SIZE)
    return str(template.module.post_card(post, author_url, avatar_url))  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    app.add_template_global(post_cards, "post_cards")
