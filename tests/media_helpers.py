"""Pictures made on the spot for the media tests (tests/test_media*.py)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image


def image_bytes(
    fmt: str = "PNG",
    size: tuple[int, int] = (64, 48),
    colour: str = "steelblue",
    **save: object,
) -> bytes:
    """A small picture in ``fmt``; ``save`` goes to Pillow (exif=...)."""
    mode = "RGBA" if fmt in ("PNG", "WEBP") else "RGB"
    image = Image.new(mode, size, colour)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (80, 60), orientation: int = 1) -> bytes:
    """A JPEG whose EXIF holds a camera, a GPS position and an orientation."""
    exif = Image.Exif()
    exif[0x010F] = "WrenCam"  # Make
    exif[0x0112] = orientation
    gps = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo
    return image_bytes("JPEG", size, "tomato", exif=exif.tobytes())


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.html", "<script>alert(1)</script>")
    return buffer.getvalue()


def bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels: one
    grey-level IDAT of a few rows, so the file is small but Pillow would
    have to allocate the whole picture to decode it."""
    small = image_bytes("PNG", (8, 8))
    # Rewrite the IHDR's size and CRC.
    import struct
    import zlib

    ihdr = struct.pack(">II", width, height) + small[24:29]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return small[:16] + ihdr + crc + small[33:]


def files_under(root: Path) -> list[Path]:
    """Every stored file under ``root`` (not the temporary ones)."""
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())
