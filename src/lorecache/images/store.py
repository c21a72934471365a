"""Where fetched images are kept: one interface, a directory on disk (the default) or an S3-compatible
bucket (`LORECACHE_IMAGE_STORE=s3://bucket/prefix`), chosen by configuration.

Both keep the same content-addressed layout under their root (`<data dir>/<universe>/images/`, or
`prefix/<universe>/` in the bucket): `objects/ab/<sha256>` holds the bytes
(identical bytes kept once, whatever their names), `names/xy/<sha256 of the name>.json` says which
object a file name is and what it is. Keys are built from hex digests, never from the name, so no name
can reach outside the root. A name is written only after its object, so a failed write leaves the name
pointing at the last good copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Protocol

import orjson

from lorecache.images.verify import ImageFacts

if TYPE_CHECKING:
    from lorecache.config import Settings


@dataclass(frozen=True, slots=True)
class StoredImage:
    file_name: str
    sha256: str
    content_type: str
    bytes: int
    width: int
    height: int

    @classmethod
    def of(cls, file_name: str, payload: bytes, facts: ImageFacts) -> StoredImage:
        sha256 = hashlib.sha256(payload).hexdigest()
        return cls(file_name, sha256, facts.content_type, len(payload), facts.width, facts.height)

    @classmethod
    def parse(cls, document: bytes) -> StoredImage:
        return cls(**orjson.loads(document))

    def document(self) -> bytes:
        """What a name file holds."""
        return orjson.dumps(asdict(self))

    @property
    def relative_path(self) -> str:
        """The object's key under the store's root (`image_cache.local_path`)."""
        return f"objects/{self.sha256[:2]}/{self.sha256}"


def name_key(file_name: str) -> str:
    """The key of `file_name`'s name file under the store's root."""
    digest = hashlib.sha256(file_name.encode()).hexdigest()
    return f"names/{digest[:2]}/{digest}.json"


class ImageStoreError(Exception):
    """The store could not be read or written (unreachable, refused); the message says which and why."""


class ImageStore(Protocol):
    """What stage 2 writes through and the image route reads through."""

    location: str
    """Where the images are, for messages: a directory, or `s3://bucket/prefix`."""

    def put(self, file_name: str, payload: bytes, facts: ImageFacts) -> StoredImage:
        """Keep `payload` (once per content) and point `file_name` at it; ImageStoreError if not kept."""
        ...

    def lookup(self, file_name: str) -> StoredImage | None:
        """The stored image of `file_name`, None if there is none; ImageStoreError if the store fails."""
        ...

    def sweep_temporaries(self) -> int:
        """Remove what writers killed mid-write left; how many."""
        ...


def open_image_store(settings: Settings) -> ImageStore:
    """The store `LORECACHE_IMAGE_STORE` names. boto3 is imported only for a bucket: a service keeping its
    images on disk never loads it."""
    if settings.image_store == "disk":
        from lorecache.images.disk import ImageDisk

        return ImageDisk(settings.universe_dir / "images")
    from lorecache.images.s3 import S3Images

    return S3Images.from_url(settings.image_store, settings.universe, public_url=settings.image_public_url)
