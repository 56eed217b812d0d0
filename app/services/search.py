"""Full-text search over posts, and finding people.

What a person types is cut into terms by :func:`parse`, never handed to
the database's query language: words all have to match, ``"a phrase"``
matches those words in a row, ``-word`` (or ``-"a phrase"``) excludes,
``#tag`` means the stored tag and ``@name`` posts by or mentioning that
user. Everything else (FTS5 or tsquery operators, brackets, stars, quotes
left open, control characters) is either a word or nothing. The terms then
become a query built from bound parameters only: on SQLite an FTS5 MATCH
string of double-quoted words (which FTS5 reads as plain strings), on
PostgreSQL ``phraseto_tsquery`` calls joined with ``tsquery_and`` and
``tsquery_not``. See :mod:`app.search_schema` for the indexes.

Posts come newest first in keyset pages (FTS5 walks its index by rowid
from the top and stops at the page; PostgreSQL picks between its GIN index
and walking the primary key backwards), or ``best`` first: the newest
``MAX_RANKED`` matches ranked by bm25 or ts_rank, paged by offset.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import snowballstemmer
import sqlalchemy as sa

from app import search_schema
from app.extensions import db
from app.models import Post, User, post_mentions, post_tags, table_of
from app.pagination import Page, keyset_page
from app.search_schema import FTS_TABLE, PG_COLUMN, PG_CONFIG
from app.services import blocks, post_text, timelines
from app.services.timelines import PostView

# Longer input is cut, and only the first terms count: a 10 KB query costs
# what a short one does.
MAX_QUERY_CHARS = 256
MAX_TERMS = 8
MAX_PHRASE_WORDS = 8
# "best" ranks this many of the newest matches: ranking every match of a
# common word would read all of them.
MAX_RANKED = 1000
SORTS = ("newest", "best")
TYPES = ("posts", "users")

# Words as both indexes cut them: runs of letters and digits.
_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'(?P<neg>-?)(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))')
_USERNAME = re.compile(r"[A-Za-z0-9_]{3,32}")
_NAME_PREFIX = re.compile(r"[a-z0-9_]{1,32}")
_NAME = re.compile(r"([#@])(\w+)\W*$")

_POSTS = table_of(Post)
_USERS = table_of(User)
_FTS = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # several: a phrase
    negated: bool = False


@dataclass(frozen=True)
class Query:
    """A search, as terms. Empty when nothing in it can match."""

    text: tuple[Term, ...] = ()
    tags: tuple[str, ...] = ()  # stored (lower-case) form
    not_tags: tuple[str, ...] = ()
    users: tuple[str, ...] = ()  # username keys
    not_users: tuple[str, ...] = ()
    words: frozenset[str] = field(default=frozenset())  # to highlight, folded

    @property
    def positive_text(self) -> tuple[Term, ...]:
        return tuple(term for term in self.text if not term.negated)

    @property
    def negative_text(self) -> tuple[Term, ...]:
        return tuple(term for term in self.text if term.negated)

    @property
    def empty(self) -> bool:
        """True when there is nothing to look for (only exclusions, or
        nothing at all): such a search finds nothing."""
        return not (self.positive_text or self.tags or self.users)


def clean(raw: str) -> str:
    """``raw`` cut to MAX_QUERY_CHARS, without control, format, surrogate,
    private-use or unassigned characters, each run of spaces one space."""
    kept = "".join(
        ch if not unicodedata.category(ch).startswith("C") else " "
        for ch in raw[:MAX_QUERY_CHARS]
    )
    return " ".join(kept.split())


def fold(word: str) -> str:
    """A word as the indexes compare it: case and diacritics removed."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def parse(raw: str) -> Query:
    """The terms of the search ``raw``; see the module's docstring."""
    text: list[Term] = []
    tags: dict[str, bool] = {}
    users: dict[str, bool] = {}
    count = 0
    for match in _TOKEN.finditer(clean(raw)):
        if count >= MAX_TERMS:
            break
        negated = bool(match.group("neg"))
        phrase, token = match.group("phrase"), match.group("word")
        # "#tag," and "@name." count too: punctuation after them is not theirs.
        name = _NAME.match(token) if token is not None else None
        if name and name.group(1) == "#":
            key = post_text.tag_key(name.group(2))
            if key is not None:
                tags.setdefault(key, negated)
                count += 1
                continue
        if name and name.group(1) == "@" and _USERNAME.fullmatch(name.group(2)):
            users.setdefault(name.group(2).lower(), negated)
            count += 1
            continue
        # Lower case only: SQLite's index ignores accents anyway, and
        # PostgreSQL's english configuration keeps them.
        words = tuple(w.lower() for w in _WORD.findall(phrase or token or ""))
        words = tuple(w for w in words if w)[:MAX_PHRASE_WORDS]
        if words:
            text.append(Term(words, negated))
            count += 1
    return Query(
        text=tuple(text),
        tags=tuple(t for t, neg in tags.items() if not neg),
        not_tags=tuple(t for t, neg in tags.items() if neg),
        users=tuple(u for u, neg in users.items() if not neg),
        not_users=tuple(u for u, neg in users.items() if neg),
        words=frozenset(
            fold(w) for term in text if not term.negated for w in term.words
        ),
    )


# --- the statements ------------------------------------------------------


def _is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def fts5_match(terms: tuple[Term, ...], negated: tuple[Term, ...] = ()) -> str:
    """An FTS5 query: every term in double quotes (a string, never an
    operator; words hold only letters and digits, so no quote to escape),
    all of ``terms``, none of ``negated``."""

    def quoted(term: Term) -> str:
        return '"' + " ".join(term.words).replace('"', '""') + '"'

    query = " AND ".join(quoted(term) for term in terms)
    if len(terms) > 1:
        query = f"({query})"
    return query + "".join(f" NOT {quoted(term)}" for term in negated)


def _fts5_matches(terms: tuple[Term, ...], negated: tuple[Term, ...] = ()) -> Any:
    match = sa.literal(fts5_match(terms, negated), type_=sa.String)
    return sa.literal_column(FTS_TABLE).op("MATCH")(match)


# Not a mapped column (see app.search_schema); only PostgreSQL has it.
_VECTOR: sa.ColumnElement[Any] = sa.literal_column(f"posts.{PG_COLUMN}")


def _tsquery(terms: tuple[Term, ...], negated: tuple[Term, ...] = ()) -> Any:
    """A tsquery from plain text only: phraseto_tsquery reads no operators."""

    def phrase(term: Term) -> Any:
        words = sa.literal(" ".join(term.words), type_=sa.String)
        return sa.func.phraseto_tsquery(sa.literal_column(PG_CONFIG), words)

    query = phrase(terms[0]) if terms else None
    for term in terms[1:]:
        query = sa.func.tsquery_and(query, phrase(term))
    for term in negated:
        query = sa.func.tsquery_and(query, sa.func.tsquery_not(phrase(term)))
    return query


def _text_ids(terms: tuple[Term, ...]) -> sa.Select[Any]:
    """Ids of the posts matching any of ``terms`` (for exclusions)."""
    if _is_postgres():
        any_of = sa.or_(*(_VECTOR.op("@@")(_tsquery((term,))) for term in terms))
        return sa.select(_POSTS.c.id).where(any_of).correlate(None)
    fts = " OR ".join(fts5_match((term,)) for term in terms)
    match = sa.literal_column(FTS_TABLE).op("MATCH")(sa.literal(fts, type_=sa.String))
    return sa.select(_FTS.c.rowid).where(match).correlate(None)


def _user_id(username_key: str) -> Any:
    return (
        sa.select(_USERS.c.id)
        .where(_USERS.c.username_key == sa.literal(username_key))
        .correlate(None)
        .scalar_subquery()
    )


def _by_or_mentioning(key: Any, username_key: str) -> Any:
    """``key`` names a post by that user or one that mentions them."""
    user_id = _user_id(username_key)
    return sa.or_(
        key.in_(
            sa.select(_POSTS.c.id).where(_POSTS.c.user_id == user_id).correlate(None)
        ),
        key.in_(
            sa.select(post_mentions.c.post_id)
            .where(post_mentions.c.user_id == user_id)
            .correlate(None)
        ),
    )


def _tagged(key: Any, tag: str) -> Any:
    return key.in_(
        sa.select(post_tags.c.post_id)
        .where(post_tags.c.tag == sa.literal(tag))
        .correlate(None)
    )


def _matching(query: Query) -> tuple[sa.Select[Any], Any]:
    """The ids of the posts ``query`` finds, unordered, and their column.

    The most selective kind of term drives: the text index when there are
    words, else the first tag's index, else the user's posts and mentions.
    """
    positive, negative = query.positive_text, query.negative_text
    tags = list(query.tags)
    users = list(query.users)
    if positive and _is_postgres():
        key: Any = _POSTS.c.id
        ids = sa.select(key).where(_VECTOR.op("@@")(_tsquery(positive, negative)))
        negative = ()
    elif positive:
        key = _FTS.c.rowid
        ids = sa.select(key).where(_fts5_matches(positive, negative))
        negative = ()
    elif tags:
        key = post_tags.c.post_id
        ids = sa.select(key).where(post_tags.c.tag == sa.literal(tags.pop(0)))
    else:
        key = _POSTS.c.id
        ids = sa.select(key).where(_by_or_mentioning(key, users.pop(0)))
    conditions = [_tagged(key, tag) for tag in tags]
    conditions += [_by_or_mentioning(key, user) for user in users]
    conditions += [~_tagged(key, tag) for tag in query.not_tags]
    conditions += [~_by_or_mentioning(key, user) for user in query.not_users]
    if negative:
        conditions.append(key.not_in(_text_ids(negative)))
    conditions.append(timelines.author_visible(key))
    # Each subquery stands alone: never tied to a posts table around it.
    return ids.where(*conditions).correlate(None), key


def _newest_ids(query: Query, before: int | None, limit: int) -> sa.Select[Any]:
    ids, key = _matching(query)
    ids = ids.where(timelines.not_hidden_from_viewer(key))
    if before is not None:
        ids = ids.where(key < before)
    return ids.order_by(key.desc()).limit(limit)


def _ranked_ids(query: Query, viewer_id: int | None) -> list[int]:
    """The newest MAX_RANKED matches' ids, best first."""
    ids, key = _matching(query)
    ids = ids.where(timelines.not_hidden_from_viewer(key))
    params = {"viewer_id": viewer_id}
    positive, negative = query.positive_text, query.negative_text
    if not positive:
        return list(
            db.session.scalars(ids.order_by(key.desc()).limit(MAX_RANKED), params)
        )
    if _is_postgres():
        rank: Any = sa.func.ts_rank(_VECTOR, _tsquery(positive, negative))
        ranked = ids.add_columns(rank.label("rank"))
    else:
        # bm25() is smaller for better matches, and only callable here, in
        # the statement that holds the MATCH.
        ranked = ids.add_columns(
            (-sa.func.bm25(sa.literal_column(FTS_TABLE))).label("rank")
        )
    candidates = ranked.order_by(key.desc()).limit(MAX_RANKED).subquery()
    best = sa.select(candidates.c[0]).order_by(
        candidates.c.rank.desc(), candidates.c[0].desc()
    )
    return list(db.session.scalars(best, params))


def post_page(
    raw: str,
    cursor: int | None,
    limit: int,
    viewer_id: int | None = None,
    sort: str = "newest",
) -> Page[PostView]:
    """Posts matching the search ``raw``.

    :param cursor: newest: only posts with a lower id; best: how many of
        the ranked results to skip.
    """
    query = parse(raw)
    if query.empty:
        return Page([], None)
    if sort == "best":
        return _best_page(query, cursor or 0, limit, viewer_id)
    ids = _newest_ids(query, cursor, limit + 1)
    return timelines.page_of_ids(ids, {}, limit, viewer_id)


def _best_page(
    query: Query, offset: int, limit: int, viewer_id: int | None
) -> Page[PostView]:
    ranked = _ranked_ids(query, viewer_id)
    chosen = ranked[offset : offset + limit]
    found = {post.id: post for post in timelines.views(chosen, viewer_id)}
    items = [found[i] for i in chosen if i in found]
    more = offset + limit < len(ranked)
    return Page(items, str(offset + limit) if more else None)


def user_page(
    raw: str, before: int | None, limit: int, viewer_id: int | None = None
) -> Page[User]:
    """People whose username starts with the search's first word (an
    ``@`` before it is fine), or whose about text has a word starting with
    each of its words; newest account first. Accounts with a block between
    them and ``viewer_id`` (either way) are left out, like their posts.

    The about text is read row by row (no index): fine for the thousands of
    accounts a Wren has, unlike the millions of posts.
    """
    text = clean(raw)
    first = text.split(" ")[0].removeprefix("@").lower() if text else ""
    conditions = []
    if _NAME_PREFIX.fullmatch(first):
        # A range on the unique index of the lower-cased names. They are
        # ASCII, so the next character up exists and no collation reorders.
        upper = first[:-1] + chr(ord(first[-1]) + 1)
        conditions.append(
            sa.and_(
                _USERS.c.username_key >= sa.literal(first),
                _USERS.c.username_key < sa.literal(upper),
            )
        )
    words = _WORD.findall(text)[:MAX_TERMS]
    if words:
        about = sa.func.lower(_USERS.c.about_me, type_=sa.String)
        # Words of the about text that start with each word of the search
        # ("bird" finds "Birdwatcher"), not any letters inside words.
        conditions.append(
            sa.and_(
                *(
                    sa.or_(
                        about.startswith(word.lower(), autoescape=True),
                        about.contains(" " + word.lower(), autoescape=True),
                    )
                    for word in words
                )
            )
        )
    if not conditions:
        return Page([], None)
    query = sa.select(User).where(sa.or_(*conditions), User.suspended_at.is_(None))
    if viewer_id is not None:
        query = query.where(blocks.not_blocked_with(viewer_id, User.id))
    return keyset_page(query, before, limit, column=User.id)


# --- highlighting --------------------------------------------------------


@cache
def _stemmer(name: str) -> Callable[[str], str]:
    stem = snowballstemmer.stemmer(name).stemWord

    # The same few thousand words come up again and again, and stemming
    # in Python costs more than finding the posts.
    @lru_cache(maxsize=50_000)
    def stem_folded(word: str) -> str:
        return stem(fold(word))  # type: ignore[no-any-return]

    return stem_folded


def _stem() -> Callable[[str], str]:
    """Stem a word (after folding) as the database's index does: FTS5's
    porter is Porter's original algorithm, PostgreSQL's english is
    Snowball's English."""
    return _stemmer("english" if _is_postgres() else "porter")


@dataclass(frozen=True)
class Highlighter:
    """Finds the words of a post that a search matched, as the index would."""

    stems: frozenset[str]
    tags: frozenset[str]
    users: frozenset[str]
    stem: Callable[[str], str]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each word in ``text`` to mark."""
        if not self.stems:
            return []
        stem, stems = self.stem, self.stems
        return [
            match.span()
            for match in _WORD.finditer(text)
            if stem(match.group()) in stems
        ]


def highlighter(raw: str) -> Highlighter:
    query = parse(raw)
    stem = _stem()
    return Highlighter(
        stems=frozenset(stem(word) for word in query.words),
        tags=frozenset(query.tags),
        users=frozenset(query.users),
        stem=stem,
    )


# --- keeping the index -----------------------------------------------------


def reindex() -> None:
    """Build the index again from every post, on either database."""
    search_schema.rebuild(db.session.connection())
    db.session.commit()


def post_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(_POSTS)) or 0


@contextmanager
def index_set_aside() -> Iterator[None]:
    """For a bulk load of posts: stop keeping the index in step row by row,
    then build it once from all the posts (also when the load fails)."""
    search_schema.drop_maintenance(db.session.connection())
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        search_schema.restore(db.session.connection())
        db.session.commit()


__all__ = [
    "SORTS",
    "TYPES",
    "Highlighter",
    "Query",
    "Term",
    "highlighter",
    "index_set_aside",
    "parse",
    "post_page",
    "reindex",
    "user_page",
]
