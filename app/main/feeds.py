"""Atom feeds of a user's and a tag's newest posts (see app.web.atom)."""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import lazy_gettext as _l

from app.main.conversation import not_found
from app.main.routes import bp, user_or_404
from app.services import post_text, timelines
from app.web import atom
from app.web.templating import fragment_key


@bp.get("/user/<username>/feed.atom")
def user_feed(username: str) -> ResponseReturnValue:
    user = user_or_404(username)
    page = timelines.user_posts_page(user, None, atom.FEED_SIZE)
    return feed_response(atom.for_user(user, page.items))


@bp.get("/tag/<tag>/feed.atom")
def tag_feed(tag: str) -> ResponseReturnValue:
    key = post_text.tag_key(tag)
    if key is None:
        not_found(_l("That is not a tag."))
    if key != tag:
        return redirect(url_for("main.tag_feed", tag=key), 301)
    page = timelines.tag_page(key, None, atom.FEED_SIZE)
    return feed_response(atom.for_tag(key, page.items))


def feed_response(feed: atom.Feed) -> Response:
    """The feed, or 304 when the reader already holds this version of it.

    The ETag comes from the values the feed shows, so the document is only
    built when it is sent. It holds nothing about the reader: everyone gets
    the same feed.
    """
    etag = fragment_key("atom", feed.version())
    if request.if_none_match.contains_weak(etag):
        response = current_app.response_class(status=304)
        del response.headers["Content-Type"]
    else:
        response = current_app.response_class(
            feed.render(), content_type=atom.MEDIA_TYPE
        )
    response.set_etag(etag, weak=True)
    return response
