"""Is a download the image it claims to be? Its header, its first bytes and its decoded pixels must agree.

Only raster formats a browser shows are kept: SVG can carry scripts, and anything else is not an
article picture.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 40_000_000

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


class ImageRejected(ValueError):
    """The bytes are not a picture this cache keeps; the message says why."""


@dataclass(frozen=True, slots=True)
class ImageFacts:
    content_type: str
    width: int
    height: int


def declared_type(header: str | None) -> str:
    """The media type of a Content-Type header, refusing what no kept format uses."""
    media_type = (header or "").split(";")[0].strip().lower()
    if media_type not in CONTENT_TYPES.values():
        raise ImageRejected(f"content type {media_type or 'missing'!r} is not one of {_kept()}")
    return media_type


def verify(payload: bytes, content_type: str) -> ImageFacts:
    """Check magic bytes, the declared type and a full decode; return what the image is."""
    sniffed = sniff(payload)
    if CONTENT_TYPES[sniffed] != content_type:
        raise ImageRejected(f"declared {content_type} but the bytes are {sniffed}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(payload)) as image:
                if image.format != sniffed:
                    raise ImageRejected(f"the bytes start as {sniffed} but decode as {image.format}")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageRejected(f"{width}x{height} is over {MAX_PIXELS:,} pixels")
                image.load()
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning) as error:
        raise ImageRejected(f"does not decode as {sniffed}: {error}") from None
    return ImageFacts(content_type, width, height)


def sniff(payload: bytes) -> str:
    """The format the first bytes announce."""
    for magic, image_format in _MAGIC:
        if payload.startswith(magic):
            return image_format
    if payload[:4] == b"RIFF" and payload[8:12] == b"WEBP":
        return "WEBP"
    raise ImageRejected(f"the bytes are none of {_kept()} (they start {payload[:8]!r})")


def _kept() -> str:
    return ", ".join(CONTENT_TYPES.values())
