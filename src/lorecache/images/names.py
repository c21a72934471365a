"""Image file names: one canonical spelling, and only names that are safe to serve and to ask for.

MediaWiki spells a file name with underscores and a capital first letter, whatever the wikitext wrote
(`[[File:tatooine TPM.png]]` is `Tatooine_TPM.png`); the same spelling keys the cache and the URLs.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

MAX_NAME_BYTES = 240
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class BadImageName(ValueError):
    """A name that could escape a directory or cannot be a wiki file name."""


def canonical(name: str) -> str:
    """The wiki's spelling of `name`; raises BadImageName for anything unsafe."""
    cleaned = "_".join(name.replace("_", " ").split())
    if not cleaned:
        raise BadImageName("an image name cannot be empty")
    if len(cleaned.encode()) > MAX_NAME_BYTES:
        raise BadImageName(f"an image name has at most {MAX_NAME_BYTES} bytes")
    if "/" in cleaned or "\\" in cleaned or cleaned.startswith("."):
        raise BadImageName(f"{name!r} is not a file name (no '/', '\\' or leading '.')")
    if CONTROL_CHARACTERS.search(cleaned):
        raise BadImageName(f"{name!r} holds control characters")
    return cleaned[0].upper() + cleaned[1:]


def title(name: str) -> str:
    """The file's page title on the wiki, as the API takes it."""
    return "File:" + name.replace("_", " ")


def hashed_url(template: str, name: str) -> str:
    """A file's URL under MediaWiki's hashed upload layout: `{hash1}/{hash2}/{name}`, where the hashes
    are the first one and two hex digits of the MD5 of the name."""
    md5 = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
    return template.format(hash1=md5[0], hash2=md5[:2], name=quote(name, safe="()',!-_.~"))


def image_url(name: str | None) -> str | None:
    """Where this service serves an article's image once it is fetched; None without a usable name."""
    try:
        return "/api/v1/wiki/images/" + quote(canonical(name), safe="()',!-_.~") if name else None
    except BadImageName:
        return None
