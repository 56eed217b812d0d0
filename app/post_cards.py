"""Post cards, rendered once per post and reused on every page that lists it.

Rendering 25 cards through Jinja was over half of a feed page's time. What a
card shows depends only on the post and its author's name and address, so
each card is rendered once from ``templates/main/_post.html`` and kept. Two
things differ per request and are spliced in: the "5 minutes ago" text, and
the delete button on the reader's own posts (it holds their CSRF token).

The cache key holds every value the card shows, so a renamed author or a
changed address simply misses the cache; nothing needs invalidating. Each
app keeps its own cache: templates and avatar settings belong to the app.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from flask import Flask, current_app, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app.avatars import avatar_for
from app.page_cache import ago_text
from app.services.posts import PostView

CACHE_SIZE = 4096  # about 2 KB each, so under 10 MB per worker
# Tags, so they cannot come from escaped user text, where "<" is "&lt;".
_AGO = Markup("<wren-ago>")
_CONTROLS = Markup("<wren-controls>")
_POST_ID = Markup("<wren-post-id>")

CardParts = tuple[Markup, Markup, Markup]


class PostCards:
    def __init__(self, app: Flask, maxsize: int = CACHE_SIZE) -> None:
        self.app = app
        self._parts = lru_cache(maxsize=maxsize)(self._render_parts)

    def _render_parts(
        self,
        post_id: int,
        body: str,
        created_at: datetime,
        username: str,
        email: str,
        script_root: str,  # part of the key: URLs in the card start with it
    ) -> CardParts:
        macro = self.app.jinja_env.get_template("main/_post.html").module.post_card
        html: Markup = macro(
            post_id=post_id,
            body=body,
            created_at=created_at,
            username=username,
            author_url=url_for("main.user_profile", username=username),
            avatar_url=avatar_for(email, 48),
            ago=_AGO,
            controls=_CONTROLS,
        )
        head, rest = html.split(_AGO)
        middle, tail = rest.split(_CONTROLS)
        return head, middle, tail

    def render(self, posts: Iterable[PostView], next_url: str) -> Markup:
        """The cards for ``posts``; ``next_url`` is where a delete returns to."""
        viewer = current_user.id if current_user.is_authenticated else None
        root = request.script_root
        delete_form: list[Markup] | None = None
        out: list[str] = []
        for post in posts:
            head, middle, tail = self._parts(
                post.id, post.body, post.created_at, post.username, post.email, root
            )
            out += (head, ago_text(post.created_at), middle)
            if post.user_id == viewer:
                if delete_form is None:
                    delete_form = _delete_form_parts(next_url)
                out += (delete_form[0], str(post.id), delete_form[1])
            out.append(tail)
        # Safe as it is: the parts are rendered templates, and the rest is
        # our own "5 minutes ago" text and integer ids. (Markup().join would
        # escape each piece again: a twentieth of the page's time.)
        return Markup("".join(out))  # noqa: S704


def _delete_form_parts(next_url: str) -> list[Markup]:
    """The delete form once per page, split where each post's id goes."""
    macro = current_app.jinja_env.get_template("main/_post.html").module.delete_form
    url = escape(url_for("main.delete_post", post_id=1))
    action = url.replace("/1/", Markup("/") + _POST_ID + Markup("/"))
    html: Markup = macro(action=action, next_url=next_url, csrf=generate_csrf())
    return html.split(_POST_ID)


def render_posts(posts: Iterable[PostView], next_url: str) -> Markup:
    cards: PostCards = current_app.extensions["wren_post_cards"]
    return cards.render(posts, next_url)


def init_app(app: Flask) -> None:
    app.extensions["wren_post_cards"] = PostCards(app)
    app.add_template_global(render_posts, "render_posts")
