"""Atom 1.0 feeds (RFC 4287) of a user's or a tag's newest posts.

The documents are built by feedgen, a maintained library, so the XML is
well formed by construction: no markup is assembled from strings here.
A feed is read away from the site, so every URL in it is absolute and built
on PUBLIC_URL (:func:`app.web.security.external_url`), never on the Host of
the request. An entry's content is the post's HTML as its card shows it
(:func:`app.web.cards.body_html`), escaped once more by the XML.

Feeds are the same for every reader: they are built without a viewer, so
nothing like "liked by me" can reach one, and their ETag holds only what the
document shows. Times come from the posts, never from the clock, so the
same posts always make the same document and the same ETag.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from app.models import User
from app.services.timelines import PostView
from app.web.cards import body_html
from app.web.security import external_url

FEED_SIZE = 20
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
# Part of every ETag: raise it when the document changes shape for the same
# posts, so a reader's copy in the old shape is not confirmed after a deploy.
FORMAT = 1
TITLE_LENGTH = 80
# RFC 4685, Atom Threading Extensions: how a reply names what it answers.
THREADING_NS = "http://purl.org/syndication/thread/1.0"
# An empty tag feed has no time of its own; a fixed one keeps its ETag fixed.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# What XML 1.0 can carry (its Char production). Posts refuse control
# characters, but the noncharacters U+FFFE and U+FFFF are not controls, and
# lxml refuses to write them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` with each character XML cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def excerpt(text: str, length: int = TITLE_LENGTH) -> str:
    """The start of ``text`` on one line, cut at a word where one is near."""
    line = " ".join(text.split())
    if len(line) <= length:
        return line
    cut = line[: length - 1]
    space = cut.rfind(" ")
    if space > length // 2:
        cut = cut[:space]
    return cut.rstrip() + "\u2026"


def entry_title(post: PostView) -> str:
    """A plain-text title: the start of the post, saying what it answers."""
    text = excerpt(xml_safe(post.body))
    if not post.is_reply:
        return text
    if post.reply_to_username is None:
        return f"Replying to a deleted post: {text}"
    return f"Replying to @{post.reply_to_username}: {text}"


def entry_updated(post: PostView) -> datetime:
    if post.edited_at is not None and post.edited_at > post.created_at:
        return post.edited_at
    return post.created_at


def _shown(post: PostView) -> tuple[Any, ...]:
    """What an entry shows of a post: not its counts, nor the reader's like."""
    return (
        post.id,
        post.body,
        post.created_at,
        post.edited_at,
        post.username,
        post.in_reply_to_id,
        post.reply_to_username,
        post.mentions,
        post.tags,
    )


class Feed(NamedTuple):
    """A feed as plain values: what it is about and its newest posts."""

    endpoint: str  # the feed's own view
    page_endpoint: str  # the HTML page it follows
    values: dict[str, str]  # the URL values both endpoints take
    title: str
    subtitle: str
    author: str | None  # the username of a user's feed
    # ``updated`` when there are no posts.
    empty_updated: datetime
    posts: list[PostView]

    def version(self) -> tuple[Any, ...]:
        """Every value the document shows, for its ETag."""
        return (
            FORMAT,
            external_url(self.endpoint, **self.values),
            self.title,
            self.subtitle,
            self.author,
            self.empty_updated,
            tuple(_shown(post) for post in self.posts),
        )

    def updated(self) -> datetime:
        """The latest time any entry changed, or ``empty_updated``."""
        return max(map(entry_updated, self.posts), default=self.empty_updated)

    def render(self) -> bytes:
        """The Atom document, UTF-8 encoded."""
        generator = FeedGenerator()
        generator.register_extension(
            "thr", _Threading, _ThreadingEntry, atom=True, rss=False
        )
        self_url = external_url(self.endpoint, **self.values)
        generator.id(self_url)
        generator.title(self.title)
        generator.subtitle(self.subtitle)
        generator.link(
            href=external_url(self.page_endpoint, **self.values),
            rel="alternate",
            type="text/html",
        )
        generator.link(href=self_url, rel="self", type="application/atom+xml")
        if self.author is not None:
            generator.author(_person(self.author))
        generator.updated(_seconds(self.updated()))
        generator.generator("Wren")
        generator.icon(external_url("static", filename="img/wren.svg"))
        for post in self.posts:
            _add_entry(generator, post)
        document: bytes = generator.atom_str(pretty=True, encoding="UTF-8")
        return document


def for_user(user: User, posts: list[PostView]) -> Feed:
    """The feed of ``user``'s newest ``posts``; an empty one dates from when
    the account was made."""
    return Feed(
        endpoint="main.user_feed",
        page_endpoint="main.user_profile",
        values={"username": user.username},
        title=f"{user.username} \u00b7 Wren",
        subtitle=xml_safe(user.about_me) or f"Posts by {user.username}",
        author=user.username,
        empty_updated=user.created_at,
        posts=posts,
    )


def for_tag(tag: str, posts: list[PostView]) -> Feed:
    """The feed of the newest ``posts`` tagged ``tag`` (its stored form)."""
    return Feed(
        endpoint="main.tag_feed",
        page_endpoint="main.tag",
        values={"tag": tag},
        title=f"#{tag} \u00b7 Wren",
        subtitle=f"Posts tagged #{tag}, newest first",
        author=None,
        empty_updated=EPOCH,
        posts=posts,
    )


def _seconds(moment: datetime) -> datetime:
    # Feed readers compare whole seconds; a fraction only adds noise.
    return moment.astimezone(UTC).replace(microsecond=0)


def _person(username: str) -> dict[str, str]:
    return {
        "name": username,
        "uri": external_url("main.user_profile", username=username),
    }


def _add_entry(generator: Any, post: PostView) -> None:
    url = external_url("main.thread", post_id=post.id)
    entry = generator.add_entry(order="append")
    # A post's URL never changes (ids are never reused, and it holds no
    # username), so it serves as the entry's permanent id.
    entry.id(url)
    entry.title(entry_title(post))
    # feedgen 1.0 writes an entry's link without its rel and type; a link
    # without rel is the alternate one all the same (RFC 4287, 4.2.7.2).
    entry.link(href=url, rel="alternate", type="text/html")
    entry.author(_person(post.username))
    entry.published(_seconds(post.created_at))
    entry.updated(_seconds(entry_updated(post)))
    safe = post._replace(body=xml_safe(post.body))
    entry.content(str(body_html(safe, link=external_url)), type="html")
    for tag in post.tags:
        entry.category(term=tag, label=f"#{tag}")
    if post.in_reply_to_id is not None:
        entry.thr.in_reply_to(external_url("main.thread", post_id=post.in_reply_to_id))


class _Threading(BaseExtension):
    """Declares the threading namespace on the feed element."""

    def extend_ns(self) -> dict[str, str]:
        return {"thr": THREADING_NS}


class _ThreadingEntry(BaseEntryExtension):
    """``thr:in-reply-to`` on a reply: the id and address of what it answers
    (the same URL, as entry ids are post URLs). It stays when that post is
    deleted, as its id still names what was answered."""

    def __init__(self) -> None:
        self.answers: str | None = None

    def in_reply_to(self, url: str) -> None:
        self.answers = url

    def extend_atom(self, entry: Any) -> Any:
        if self.answers is not None:
            etree.SubElement(
                entry,
                f"{{{THREADING_NS}}}in-reply-to",
                {"ref": self.answers, "href": self.answers, "type": "text/html"},
                nsmap={"thr": THREADING_NS},
            )
        return entry
