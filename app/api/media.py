"""Uploading pictures for posts."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from flask_babel import force_locale

from app.api.auth import current_user, token_auth
from app.api.routes import bp, domain_error
from app.api.schemas import MediaIn, MediaOut
from app.api.tokens import BEARER_CHALLENGE
from app.services import images, media
from app.services.errors import DomainError

AUTH: dict[int | str, Any] = {401: BEARER_CHALLENGE}
MEDIA_EXAMPLE = {
    "id": 12,
    "url": "/media/3f2a0c…9c.jpg",
    "thumbnail_url": "/media/8d41b7…e0.jpg",
    "alt": "A wren singing on a fence post",
    "width": 2048,
    "height": 1536,
}


@bp.post("/media")
@bp.auth_required(token_auth)
@bp.input(MediaIn, location="form_and_files")
@bp.output(MediaOut, status_code=201, example=MEDIA_EXAMPLE)
@bp.doc(
    tags=["Posts"],
    responses={
        **AUTH,
        413: "The request body is larger than 10 MB and a little.",
    },
)
def upload_media(form_and_files_data: dict[str, Any]) -> ResponseReturnValue:
    """Upload a picture to attach to a post.

    Attach it with `media_ids` in `POST /api/posts` within a day; an upload
    no post has taken by then is deleted. Anything that is not a JPEG, PNG,
    WebP or GIF picture (decided by decoding it), is damaged, has data
    after the picture's end, is over 10 MB or over 40 megapixels is a 422,
    and nothing is stored.
    """
    file = form_and_files_data["file"]
    # The API answers in English whatever the client's Accept-Language.
    with force_locale("en"):
        try:
            data = images.read_upload(file.stream)
            upload = media.accept(data, form_and_files_data["alt"], "file")
        except images.Refused as exc:
            domain_error(DomainError(str(exc), "file"), "files")
        except DomainError as exc:
            domain_error(exc, "files")
    return media.media_json(media.upload(current_user(), upload)), 201
