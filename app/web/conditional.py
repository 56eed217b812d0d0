"""HTTP conditional GET for pages: an ETag from what the page shows.

A view reads the rows a page shows (cheap, indexed), then asks
:func:`render` for the response. The ETag is a digest of those values, the
reader's state and the render version (app.web.templating.render_version,
so a deploy changes every tag). When the browser already holds that version
it gets 304 Not Modified and nothing is rendered. A write anywhere changes
the values a page reads, so a stale page is never confirmed, on any node.
"""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    make_response,
    render_template,
    request,
    session,
)
from flask.wrappers import Response

from app.web.login import reader
from app.web.templating import (
    csrf_secret,
    fragment_key,
    unread_messages,
    unread_notifications,
)


def reader_state() -> tuple[Any, ...]:
    """What the layout shows of the reader (nav, banners, form tokens)."""
    user = reader()
    if user is None:
        return ("anonymous",)
    # The session's CSRF secret stands for the tokens in the page's forms.
    return (
        user.id,
        user.username,
        user.email,
        user.avatar,
        user.email_confirmed_at,
        unread_notifications(),
        unread_messages(),
        csrf_secret(),
    )


def render(parts: tuple[Any, ...], template: str, **context: Any) -> Response:
    """Render ``template``, or answer 304 if the browser has this version.

    :param parts: every value the page shows besides the reader and the
        layout, as plain values (ids, names, times, counts).
    """
    if request.method != "GET" or "_flashes" in session:
        # Flashes are shown once: such a page is never the same again.
        return make_response(render_template(template, **context))
    tag = fragment_key("etag", reader_state(), request.full_path, parts)
    if request.if_none_match.contains_weak(tag):
        response = current_app.response_class(status=304)
    else:
        response = make_response(render_template(template, **context))
    response.set_etag(tag, weak=True)
    return response
