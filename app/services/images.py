"""Checking and re-encoding uploaded pictures with Pillow.

What a file is, is decided by decoding it: never by its name or the type
the browser declared. Only JPEG, PNG, WebP and GIF (its first frame) are
read, the declared size is checked before any pixel is decoded (a few KB
can declare 20,000 x 20,000 pixels), and a file with anything after the
picture's end (HTML or a ZIP riding along: a polyglot) is refused rather
than quietly cleaned. What is stored is a new encoding of the pixels alone:
no EXIF (so no GPS position), no ICC profile, no text chunks, nothing after
the end.

This module knows nothing of the database or the files on disk
(:mod:`app.services.media`).
"""

from __future__ import annotations

import hashlib
import io
import struct
from typing import IO, NamedTuple

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
THUMBNAIL_SIDE = 400
AVATAR_SIDE = 400
JPEG_QUALITY = 85
WEBP_QUALITY = 80
# Decoders Pillow may try; anything else is "not a picture".
READ_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# Stored format for each decoded one: a GIF keeps its first frame, as PNG.
STORED = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "MPO": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    "GIF": ("PNG", "image/png", "png"),
}
CONTENT_TYPES = {ext: content_type for _, content_type, ext in STORED.values()}


class Refused(ValueError):
    """The upload is not a picture Wren stores; the message says why."""


class Encoded(NamedTuple):
    """One stored file: its bytes and what they are."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int

    @property
    def name(self) -> str:
        """The file name: the SHA-256 of the bytes, so equal files are one."""
        return f"{hashlib.sha256(self.data).hexdigest()}.{self.extension}"


class Picture(NamedTuple):
    """An accepted upload: the picture (longest side at most MAX_SIDE) and
    its thumbnail (at most THUMBNAIL_SIDE)."""

    full: Encoded
    thumbnail: Encoded


def read_upload(stream: IO[bytes]) -> bytes:
    """The upload's bytes, at most MAX_BYTES of them.

    :raises Refused: when it is empty or larger.
    """
    return check_size(stream.read(MAX_BYTES + 1))


def check_size(data: bytes) -> bytes:
    """``data``, if it is neither empty nor over MAX_BYTES.

    :raises Refused: otherwise.
    """
    if not data:
        raise Refused(_("Choose a picture to upload."))
    if len(data) > MAX_BYTES:
        raise Refused(_("A picture can be at most 10 MB."))
    return data


def picture(data: bytes) -> Picture:
    """Check ``data`` and encode it anew, with its thumbnail.

    :raises Refused: when it is not a JPEG, PNG, WebP or GIF, is damaged,
        too large, or carries data after the picture.
    """
    image, stored = _decode(data, MAX_SIDE)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    full = _encode(image, stored)
    small = image.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return Picture(full, _encode(small, stored))


def avatar(data: bytes) -> Encoded:
    """Check ``data`` and make a square AVATAR_SIDE avatar of its centre.

    :raises Refused: as :func:`picture` does.
    """
    image, stored = _decode(data, AVATAR_SIDE)
    side = min(AVATAR_SIDE, image.width, image.height)
    square = ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS)
    return _encode(square, stored)


def _decode(data: bytes, side: int) -> tuple[Image.Image, str]:
    """The picture in ``data``, upright and decoded, and its stored format."""
    try:
        image = Image.open(io.BytesIO(data), formats=READ_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(_too_many_pixels()) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise Refused(_not_a_picture()) from None
    # Image.open read the header only: refuse before any pixel is decoded.
    if image.width * image.height > MAX_PIXELS:
        raise Refused(_too_many_pixels())
    if image.format not in STORED:
        raise Refused(_not_a_picture())
    try:
        trailing = trailing_data(data, image.format)
    except ValueError:
        raise Refused(_damaged()) from None
    if trailing:
        raise Refused(
            _(
                "That file has more data after the end of the picture, so it "
                "was refused. Save it again as a plain picture and retry."
            )
        )
    if image.format in ("JPEG", "MPO"):
        # Decode at a reduced scale (1/2, 1/4, 1/8) where that still leaves
        # at least ``side`` pixels: a 24-megapixel photo decodes in a
        # fraction of the time.
        image.draft("RGB", (side, side))
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise Refused(_damaged()) from None
    return upright, image.format


def _encode(image: Image.Image, decoded_format: str) -> Encoded:
    pil_format, content_type, extension = STORED[decoded_format]
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    mode = "RGBA" if has_alpha and pil_format != "JPEG" else "RGB"
    if image.mode != mode:
        image = image.convert(mode)
    # Nothing of the original's metadata (EXIF, ICC, text) is passed on:
    # Pillow writes only what it is given here.
    image.info = {}
    buffer = io.BytesIO()
    if pil_format == "JPEG":
        image.save(buffer, "JPEG", quality=JPEG_QUALITY)
    elif pil_format == "WEBP":
        image.save(buffer, "WEBP", quality=WEBP_QUALITY)
    else:
        image.save(buffer, "PNG")
    return Encoded(buffer.getvalue(), content_type, extension, *image.size)


def _not_a_picture() -> str:
    return _("That file is not a picture: use a JPEG, PNG, WebP or GIF image.")


def _damaged() -> str:
    return _("That picture is damaged or incomplete.")


def _too_many_pixels() -> str:
    return _("That picture is too large: at most 40 megapixels.")


# --- where the picture ends ---------------------------------------------


def trailing_data(data: bytes, image_format: str) -> bool:
    """Whether ``data`` goes on after the picture's end marker.

    Zero bytes of padding after the end are tolerated (some cameras write
    them); anything else counts.

    :raises ValueError: when the file's structure cannot be followed to its
        end (it is damaged or cut short).
    """
    finders = {
        "PNG": _png_end,
        "JPEG": _jpeg_end,
        "MPO": _jpeg_end,
        "GIF": _gif_end,
        "WEBP": _webp_end,
    }
    try:
        end = finders[image_format](data)
    except (IndexError, struct.error) as exc:
        raise ValueError("the picture ends early") from exc
    return data[end:].strip(b"\x00") != b""


def _png_end(data: bytes) -> int:
    position = 8  # the signature
    while True:
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        position += 12 + length  # length, type, data, CRC
        if position > len(data):
            raise ValueError("chunk runs past the end")
        if kind == b"IEND":
            return position


def _jpeg_end(data: bytes) -> int:
    if data[:2] != b"\xff\xd8":
        raise ValueError("no SOI")
    position = 2
    while True:
        if data[position] != 0xFF:
            raise ValueError("expected a marker")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:  # EOI
            return position + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            position = _scan_end(data, position)


def _scan_end(data: bytes, position: int) -> int:
    """The offset of the first marker after entropy-coded data (0xFF 0x00 is
    an escaped byte and 0xFF 0xD0-D7 a restart, both part of the scan)."""
    while True:
        position = data.index(b"\xff", position)
        following = data[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            position += 1 if following == 0xFF else 2
            continue
        return position


def _gif_end(data: bytes) -> int:
    flags = data[10]
    position = 13
    if flags & 0x80:  # global colour table
        position += 3 * 2 ** ((flags & 0x07) + 1)
    while True:
        block = data[position]
        if block == 0x3B:  # trailer
            return position + 1
        if block == 0x21:  # extension: label, then sub-blocks
            position = _skip_sub_blocks(data, position + 2)
        elif block == 0x2C:  # image descriptor
            local = data[position + 9]
            position += 10
            if local & 0x80:
                position += 3 * 2 ** ((local & 0x07) + 1)
            position = _skip_sub_blocks(data, position + 1)  # after LZW size
        else:
            raise ValueError("unknown block")


def _skip_sub_blocks(data: bytes, position: int) -> int:
    while True:
        size = data[position]
        position += 1 + size
        if size == 0:
            return position


def _webp_end(data: bytes) -> int:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not RIFF WEBP")
    (size,) = struct.unpack("<I", data[4:8])
    return 8 + size + (size & 1)
