"""Reading the pictures of a multipart post form."""

from __future__ import annotations

from flask import request

from app.media_models import MEDIA_PER_POST
from app.services import media
from app.services.errors import DomainError
from app.services.images import MAX_BYTES, Refused, check_size


def from_form() -> list[media.Upload]:
    """The form's pictures (fields ``images``) with their alt texts (fields
    ``alt``, paired by order), checked and re-encoded; empty file fields
    are skipped, as a browser sends one for each slot left empty.

    :raises DomainError: on "images" or "alt", for the first one refused.
    """
    files = request.files.getlist("images")
    alts = request.form.getlist("alt")
    chosen = []
    for index, file in enumerate(files):
        data = file.stream.read(MAX_BYTES + 1)
        if data:
            chosen.append((data, alts[index] if index < len(alts) else ""))
    if len(chosen) > MEDIA_PER_POST:
        raise media.too_many()
    uploads = []
    for data, alt in chosen:
        try:
            check_size(data)
        except Refused as exc:
            raise DomainError(str(exc), "images") from None
        uploads.append(media.accept(data, alt, "images"))
    return uploads
