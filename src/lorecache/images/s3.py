"""Images in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2…): the content-addressed layout of
`images/store.py` under `prefix/<universe>/`, so every API process on every host sees the same images.

boto3 reads the endpoint, keys and region from the usual AWS variables (`AWS_ENDPOINT_URL`,
`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`) or any other place it looks. An
object is written whole or not at all, so there are no temporaries to sweep; objects never change once
written (their key is their content), so they are stored with a year's `Cache-Control` for a CDN.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from lorecache.images.store import ImageStoreError, StoredImage, name_key
from lorecache.images.verify import ImageFacts

log = logging.getLogger(__name__)

PRESIGNED_SECONDS = 3600
"""How long a redirect's presigned URL is valid; the redirect is cached for half of it."""
OBJECT_CACHE_CONTROL = "public, max-age=31536000, immutable"
CHUNK_BYTES = 64 * 1024
_ABSENT = frozenset({"404", "NoSuchKey", "NotFound"})
# An image route waits on the store: a bucket that does not answer fails the request within seconds.
_CLIENT_CONFIG = Config(
    signature_version="s3v4",
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "max_attempts": 3},
)


class S3Images:
    """One universe's images in a bucket; the boto3 client is thread-safe, so stage 2's threads share it."""

    def __init__(self, bucket: str, prefix: str, *, public_url: str | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.location = f"s3://{bucket}/{self.prefix}"
        self.public_url = public_url.rstrip("/") if public_url else None
        # A session of its own reads the AWS variables now: boto3's default one keeps the first it read.
        self._client = boto3.session.Session().client("s3", config=_CLIENT_CONFIG)

    @classmethod
    def from_url(cls, url: str, universe: str, *, public_url: str | None = None) -> S3Images:
        """`s3://bucket/prefix` (the prefix may be empty) for `universe`'s images."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"an image store is `disk` or s3://bucket/prefix, not {url!r}")
        prefix = "/".join(part for part in (parts.path.strip("/"), universe) if part)
        return cls(parts.netloc, prefix, public_url=public_url)

    def put(self, file_name: str, payload: bytes, facts: ImageFacts) -> StoredImage:
        stored = StoredImage.of(file_name, payload, facts)
        key = self._key(stored.relative_path)
        with self._failing_as("write", key):
            if self._size(key) != len(payload):
                self._client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=payload,
                    ContentType=stored.content_type,
                    CacheControl=OBJECT_CACHE_CONTROL,
                )
        name = self._key(name_key(file_name))
        with self._failing_as("write", name):
            self._client.put_object(
                Bucket=self.bucket, Key=name, Body=stored.document(), ContentType="application/json"
            )
        return stored

    def lookup(self, file_name: str) -> StoredImage | None:
        key = self._key(name_key(file_name))
        try:
            with self._failing_as("read", key):
                document = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except _Absent:
            return None
        return StoredImage.parse(document)

    def url_of(self, stored: StoredImage) -> str:
        """Where a client fetches the bytes itself: under `public_url` (a CDN, a public bucket), else a
        presigned URL valid `PRESIGNED_SECONDS` (signed here, no round trip)."""
        key = self._key(stored.relative_path)
        if self.public_url:
            return f"{self.public_url}/{quote(key)}"
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=PRESIGNED_SECONDS
        )

    def chunks(self, stored: StoredImage) -> Iterator[bytes]:
        """The object's bytes as they arrive. The object is asked for here, not on the first chunk: a
        store that fails is an ImageStoreError before any of the answer is sent."""
        key = self._key(stored.relative_path)
        with self._failing_as("read", key):
            body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
        return _closing(body.iter_chunks(CHUNK_BYTES), body)

    def sweep_temporaries(self) -> int:
        return 0

    def _size(self, key: str) -> int | None:
        try:
            return self._client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _ABSENT:
                return None
            raise

    def _key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def _failing_as(self, action: str, key: str) -> AbstractContextManager[None]:
        return _store_errors(f"{action} of s3://{self.bucket}/{key}")


class _Absent(Exception):
    """The key is not in the bucket."""


@contextmanager
def _store_errors(operation: str) -> Iterator[None]:
    """boto3's errors as ImageStoreError naming the operation, logged; a missing key as `_Absent`."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _ABSENT:
            raise _Absent(code) from error
        reason = f"{code}: {error.response.get('Error', {}).get('Message') or error}"
        log.warning("image store: %s failed: %s", operation, reason)
        raise ImageStoreError(f"{operation} failed: {reason}") from error
    except BotoCoreError as error:
        log.warning("image store: %s failed: %s", operation, error)
        raise ImageStoreError(f"{operation} failed: {error}") from error


def _closing(chunks: Iterator[bytes], body: Any) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        body.close()
