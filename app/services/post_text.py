"""What a post's text names: web links, @mentions and #tags.

The text is cut into segments once, the same way when a post is saved (to
store its mentions and tags) and when its card is rendered (to link what was
stored). Links are found by linkify-it-py, a port of the maintained
JavaScript linkify-it; only http(s) URLs written out with their scheme count,
so "example.com" and "javascript:" stay text. Mentions and tags are looked
for in the text between links, so a URL's "#fragment" is never a tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Literal

from linkify_it import LinkifyIt

from app.models import TAG_MAX, USERNAME_MAX

Kind = Literal["text", "link", "mention", "tag"]
LINK_SCHEMES = ("http:", "https:")

# "@name" not inside a word or an address (jenny@example.com), and not a
# fediverse handle (@jenny@example.social): usernames are ASCII.
_MENTION = rf"(?<![\w@])@(?P<mention>[A-Za-z0-9_]{{3,{USERNAME_MAX}}})(?![\w@])"
# "#tag": Unicode letters, digits and underscore, 1–64 of them. A longer run
# is no tag at all, not a cut-off one: the look-ahead refuses a 65th.
_TAG = rf"(?<![\w#])#(?P<tag>\w{{1,{TAG_MAX}}})(?!\w)"
_NAMES = re.compile(f"{_MENTION}|{_TAG}")


@dataclass(frozen=True)
class Segment:
    kind: Kind
    text: str  # as written
    value: str = ""  # link: the URL; mention: the username key; tag: the tag


@dataclass(frozen=True)
class Names:
    """The mentions (username keys) and tags (lower case) of a text, each
    once, in order of first appearance."""

    mentions: tuple[str, ...]
    tags: tuple[str, ...]


@cache
def _linkify() -> LinkifyIt:
    return LinkifyIt(
        options={"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False}
    )


def tag_key(text: str) -> str | None:
    """The stored form of a tag written as ``text`` (without the #), or None
    when it is not a tag."""
    if not 1 <= len(text) <= TAG_MAX or not re.fullmatch(r"\w+", text):
        return None
    key = text.lower()
    # A few letters grow when lower-cased (İ becomes i + a combining dot).
    return key if len(key) <= TAG_MAX and re.fullmatch(r"\w+", key) else None


def segments(text: str) -> Iterator[Segment]:
    """Cut ``text`` into plain text, links, mentions and tags, in order."""
    if "//" not in text:
        # An http(s) link needs its "//" (linkify-it's own check), and most
        # posts have none: linkify-it's scan was half of a card's text cost.
        yield from _names(text)
        return
    position = 0
    for match in _linkify().match(text) or ():
        if match.schema not in LINK_SCHEMES:
            continue
        yield from _names(text[position : match.index])
        yield Segment("link", match.text, match.url)
        position = match.last_index
    yield from _names(text[position:])


def _names(text: str) -> Iterator[Segment]:
    position = 0
    for match in _NAMES.finditer(text):
        if match.group("mention"):
            segment = Segment("mention", match.group(0), match.group("mention").lower())
        else:
            key = tag_key(match.group("tag"))
            if key is None:
                continue
            segment = Segment("tag", match.group(0), key)
        if match.start() > position:
            yield Segment("text", text[position : match.start()])
        yield segment
        position = match.end()
    if position < len(text):
        yield Segment("text", text[position:])


def names(text: str) -> Names:
    """The mentions and tags ``text`` holds."""
    mentions: dict[str, None] = {}
    tags: dict[str, None] = {}
    for segment in segments(text):
        if segment.kind == "mention":
            mentions[segment.value] = None
        elif segment.kind == "tag":
            tags[segment.value] = None
    return Names(tuple(mentions), tuple(tags))
