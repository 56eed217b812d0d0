"""The search page: posts by words, tags and people, or people by name."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask.typing import ResponseReturnValue

from app.main.routes import before_arg, bp, page_size, viewer_id
from app.services import search, timelines
from app.web import conditional


def _choice(name: str, choices: tuple[str, ...]) -> str:
    """The argument ``name`` if it is one of ``choices``, else the first."""
    value = request.args.get(name, "")
    return value if value in choices else choices[0]


@bp.get("/search")
def search_page() -> ResponseReturnValue:
    q = request.args.get("q", "")
    kind = _choice("type", search.TYPES)
    sort = _choice("sort", search.SORTS)
    cursor = before_arg()
    page: Any = None
    version: tuple[Any, ...] = ()
    if q.strip():
        if kind == "users":
            page = search.user_page(q, cursor, page_size())
            version = tuple(
                (u.id, u.username, u.email, u.avatar, u.about_me) for u in page.items
            )
        else:
            page = search.post_page(q, cursor, page_size(), viewer_id(), sort)
            version = timelines.page_version(page)
    next_url = None
    if page is not None and page.next_cursor:
        next_url = url_for(
            "main.search_page", q=q, type=kind, sort=sort, before=page.next_cursor
        )
    return conditional.render(
        (q, kind, sort, version),
        "main/search.html",
        q=q,
        kind=kind,
        sort=sort,
        page=page,
        next_url=next_url,
        marks=search.highlighter(q) if kind == "posts" and page else None,
    )
