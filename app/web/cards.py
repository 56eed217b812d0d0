"""Post cards: the part every reader sees alike, rendered once and shared.

A card shows the post (its text with links, mentions and tags, its
pictures, and "edited"), the post it answers, and its author's name and
avatar. Its cache key holds the post id and a digest of every value the
card shows (the author and their uploaded avatar, the edit time, the
answered post's author, the mentioned usernames, the pictures), so an
edit, a rename, a new address or avatar simply makes new keys: nothing is
ever invalidated, no write elsewhere empties anything, and no
node can serve a card made from old values. The cache is Flask-Caching's
(in-process by default, Redis when configured, so that nodes share it).
The reply link, the like count, the like button (in both states) and the
report link are cached with the card; the key holds both counts, so a like
or a reply makes that one card anew. The button submits the page's one
like form, which holds the reader's form token. What remains per reader
(which button state, the author's own controls or the report link) is
chosen around them by the page's template.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from flask import Flask, current_app, url_for
from flask_babel import format_number, gettext, ngettext
from markupsafe import Markup, escape

from app import i18n
from app.avatars import avatar_for
from app.extensions import cache
from app.services import post_text
from app.services.media import url as media_url
from app.services.search import Highlighter
from app.services.timelines import PostView
from app.web.templating import fragment_key, human_utc

TEMPLATE = "main/_post.html"
ICONS = "_icons.html"
AVATAR_SIZE = 48
LINK = Markup('<a href="{}" rel="nofollow noopener ugc">{}</a>')
NAME_LINK = Markup('<a class="{}" href="{}">{}</a>')
MARK = Markup("<mark>{}</mark>")


class Card(NamedTuple):
    """A post's shared HTML: the card, its reply link, its like count, its
    like button as pressed and as not pressed, and its report link."""

    card: Markup
    reply: Markup
    likes: Markup
    liked: Markup
    unliked: Markup
    report: Markup


def card_key(post: PostView) -> str:
    shown = (
        post.reply_count,
        post.like_count,
        post.username,
        post.email,
        post.avatar,
        post.edited_at,
        post.in_reply_to_id,
        post.reply_to_username,
        post.mentions,
        post.media,
    )
    return f"card:{post.id}:{fragment_key('card', shown)}"


def post_cards(posts: Sequence[PostView]) -> list[tuple[PostView, Card]]:
    """Each post with its shared card, from the cache or rendered now.

    One round trip to the cache for the whole page, and one to store the
    cards it lacked.
    """
    keys = [card_key(post) for post in posts]
    found = cache.get_many(*keys) if keys else []
    missing: dict[str, tuple[str, ...]] = {}
    cards = []
    macros: Any = None
    icons: CardIcons | None = None
    words: CardWords | None = None
    for post, key, parts in zip(posts, keys, found, strict=True):
        if parts is None:
            if macros is None or icons is None or words is None:
                macros = current_app.jinja_env.get_template(TEMPLATE).module
                icons = _icons()
                words = CardWords()
            parts = missing[key] = _render(post, macros, icons, words)
        # A template's own output, kept as text by the cache.
        cards.append((post, Card(*(Markup(part) for part in parts))))  # noqa: S704
    if missing:
        cache.set_many(missing)
    return cards


def body_html(
    post: PostView,
    link: Callable[..., str] = url_for,
    marks: Highlighter | None = None,
) -> Markup:
    """The post's text, escaped, with its links, the mentions and the tags
    that were stored for it linked. A mention of someone unknown (or who has
    since changed their name) stays text.

    :param link: builds the mention and tag URLs from an endpoint and its
        values; feeds, read away from the site, pass one that makes them
        absolute.
    :param marks: the words a search matched, wrapped in ``<mark>`` (inside
        links too).
    """
    return text_html(post.body, post.mentions, post.tags, link, marks)


def message_html(body: str) -> Markup:
    """A private message's text, escaped, with its web links and tags linked.

    Mentions stay text: a message stores no mentions, and looking names up
    would cost a query per page.
    """
    return text_html(body, (), post_text.names(body).tags)


def text_html(
    body: str,
    mentions: Sequence[str],
    tags: Sequence[str],
    link: Callable[..., str] = url_for,
    marks: Highlighter | None = None,
) -> Markup:
    """``body`` escaped, with its links and the given mentions and tags linked."""
    mentioned = {name.lower(): name for name in mentions}
    tag_set = set(tags)

    def shown(text: str) -> Markup:
        return escape(text) if marks is None else marked(text, marks.spans(text))

    parts: list[Markup] = []
    for segment in post_text.segments(body):
        if segment.kind == "link":
            parts.append(LINK.format(segment.value, shown(segment.text)))
        elif segment.kind == "mention" and segment.value in mentioned:
            url = link("main.user_profile", username=mentioned[segment.value])
            name = shown(segment.text)
            if marks is not None and segment.value in marks.users:
                name = MARK.format(name)
            parts.append(NAME_LINK.format("mention", url, name))
        elif segment.kind == "tag" and segment.value in tag_set:
            url = link("main.tag", tag=segment.value)
            name = shown(segment.text)
            if marks is not None and segment.value in marks.tags:
                name = MARK.format(name)
            parts.append(NAME_LINK.format("hashtag", url, name))
        else:
            parts.append(shown(segment.text))
    return Markup("").join(parts)


def marked(text: str, spans: list[tuple[int, int]]) -> Markup:
    """``text`` escaped, with each (start, end) span in ``<mark>``.

    Every piece of the post's own text goes through ``escape``; the only
    markup added is ours, so nothing the author wrote (``<script>``, a
    ``<mark>`` of their own) can become HTML.
    """
    parts: list[Markup] = []
    position = 0
    for start, end in spans:
        parts.append(escape(text[position:start]))
        parts.append(MARK.format(text[start:end]))
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def search_cards(
    posts: Sequence[PostView], marks: Highlighter
) -> list[tuple[PostView, Card]]:
    """Each post with its card, the words a search matched marked.

    The reply link, like count and buttons come from the shared cache; the
    card itself is made for this page and not cached: the marks depend on
    the search, and a shared cache filled with every search anyone typed
    would push out the cards every reader shares.
    """
    macros = current_app.jinja_env.get_template(TEMPLATE).module
    words = CardWords()
    cards = []
    for post, shared in post_cards(posts):
        avatar_url = avatar_for(post.email, AVATAR_SIZE, post.avatar)
        body = body_html(post, marks=marks)
        card = macros.post_card(post, _links(post), avatar_url, body, words)  # type: ignore[attr-defined]
        cards.append((post, shared._replace(card=Markup(str(card)))))  # noqa: S704
    return cards


class CardLinks(NamedTuple):
    """The addresses a card shows, each built once per card."""

    author: str
    thread: str
    like: str
    unlike: str
    likes: str
    report: str
    history: str | None
    reply_to: str | None
    # Each picture's (full size, thumbnail) address, in order.
    media: tuple[tuple[str, str], ...] = ()


class CardIcons(NamedTuple):
    """The icons in a card's action row, drawn once per page that needs them."""

    reply: Markup
    like_off: Markup
    like_on: Markup


class CardWords:
    """The words on a card, in the page's language, looked up once per page
    that renders cards.

    In a template each ``_()`` cost about 20 µs (Flask-Babel finds the
    catalogue again, Jinja formats the result), and a card had nine of
    them: with the time and the counts, most of an uncached card. Here the
    fixed words are translated once; counts and times are formatted per
    card, the same numbers once per page.
    """

    def __init__(self) -> None:
        self._catalogue = i18n.request_translations()
        self.reply = gettext("Reply")
        self.like = gettext("Like")
        self.report = gettext("Report")
        self.edited = gettext("edited")
        self.deleted_parent = gettext("Replying to a deleted post")
        self.like_one = ngettext("like", "likes", 1)
        self.like_other = ngettext("like", "likes", 2)
        self._edited_at = gettext("Edited %(when)s")
        self._post_by = gettext("this post by %(name)s")
        self._numbers: dict[int, str] = {}

    def number(self, value: int) -> str:
        found = self._numbers.get(value)
        if found is None:
            found = self._numbers[value] = format_number(value)
        return found

    def likes(self, count: int) -> str:
        return str(self._catalogue.ungettext("like", "likes", count))

    def replies_so_far(self, count: int) -> str:
        return str(self._catalogue.ungettext("reply so far", "replies so far", count))

    def edited_at(self, when: Any) -> str:
        return self._edited_at % {"when": human_utc(when)}

    def post_by(self, username: str) -> str:
        return self._post_by % {"name": username}


def _icons() -> CardIcons:
    icon = current_app.jinja_env.get_template(ICONS).module.icon  # type: ignore[attr-defined]
    return CardIcons(
        reply=icon("reply"),
        like_off=icon("heart", classes="like-off"),
        like_on=icon("heart-fill", classes="like-on"),
    )


def _links(post: PostView) -> CardLinks:
    # url_for was a third of a card's cost. Every page about a post is
    # routed under its thread's address (app.main.conversation.POST), so
    # one url_for gives them all.
    thread = url_for("main.thread", post_id=post.id)
    return CardLinks(
        author=url_for("main.user_profile", username=post.username),
        thread=thread,
        like=f"{thread}/like",
        unlike=f"{thread}/unlike",
        likes=f"{thread}/likes",
        report=f"{thread}/report",
        history=f"{thread}/history" if post.edited_at else None,
        reply_to=(
            url_for("main.thread", post_id=post.in_reply_to_id)
            if post.in_reply_to_id and post.reply_to_username
            else None
        ),
        media=tuple(
            (media_url(picture.name), media_url(picture.thumbnail_name))
            for picture in post.media
        ),
    )


def _render(
    post: PostView, macros: Any, icons: CardIcons, words: CardWords
) -> tuple[str, ...]:
    links = _links(post)
    avatar_url = avatar_for(post.email, AVATAR_SIZE, post.avatar)
    card = macros.post_card(post, links, avatar_url, body_html(post), words)
    reply = macros.reply_link(post, links, icons, words)
    likes = macros.like_count(post, links, words)
    liked = macros.like_button(links, icons, True, words)
    unliked = macros.like_button(links, icons, False, words)
    report = macros.report_link(post, links, words)
    parts = (card, reply, likes, liked, unliked, report)
    return tuple(str(part) for part in parts)


def init_app(app: Flask) -> None:
    app.add_template_global(post_cards, "post_cards")
    app.add_template_global(search_cards, "search_cards")
    app.add_template_global(avatar_for, "avatar_for")
    app.add_template_global(message_html, "message_html")
