"""Serving stored pictures: GET /media/<name>.

The files come from strangers, so each answer says exactly what it is
(Content-Type from the stored extension, nosniff) and, should a browser
open one as a page, a policy that lets it do nothing (no script, no
plugin, a sandbox of its own). Names are content hashes, so a file never
changes: browsers and proxies may keep it for a year.
"""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory
from flask.typing import ResponseReturnValue

from app.services import media
from app.services.images import CONTENT_TYPES

bp = Blueprint("media", __name__)

YEAR = 365 * 24 * 3600
RAW_FILE_POLICY = "default-src 'none'; sandbox"


@bp.get("/media/<name>")
def serve(name: str) -> ResponseReturnValue:
    if not media.NAME_RE.fullmatch(name):
        abort(404)
    # send_from_directory joins safely as well; the pattern above already
    # allows only hex digits, one dot and a known extension.
    response = send_from_directory(
        media.media_root(),
        f"{name[:2]}/{name}",
        mimetype=CONTENT_TYPES[name.rsplit(".", 1)[1]],
        max_age=YEAR,
        conditional=True,
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["Content-Security-Policy"] = RAW_FILE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
