"""Downloads of images: bounded in number, size, time and hosts; each one verified before it is kept.

Redirects are followed by hand so that every hop's host is checked against the allowed hosts; the body
is read in chunks against the size cap and an overall deadline (a server that drips a byte at a time
never trips a read timeout). A refresh sends the last ETag and Last-Modified, and a 304 keeps the copy in
the store. A failure, of the download or of the store, is returned as a `failed` record naming why,
never raised: one bad image never stops the others, and it is fetched again on the next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from lorecache import metrics
from lorecache.images.resolve import Located
from lorecache.images.store import ImageStore, ImageStoreError, StoredImage
from lorecache.images.verify import ImageRejected, declared_type, verify
from lorecache.store.images import ImageRecord, Validators
from lorecache.universes import ImageRules

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_STORED, _NOT_MODIFIED, _FAILED = (
    metrics.IMAGE_FETCHES.labels(outcome) for outcome in ("stored", "not_modified", "failed")
)


class DownloadRefused(Exception):
    """The server's answer is not one this fetcher takes; the message says what it was."""


@dataclass(frozen=True, slots=True)
class Download:
    payload: bytes
    content_type: str
    etag: str | None
    last_modified: str | None


class ImageFetcher:
    """Fetches images into an image store over one keep-alive connection pool, safe to share by threads."""

    def __init__(self, rules: ImageRules, store: ImageStore, user_agent: str) -> None:
        self.rules = rules
        self.store = store
        self.hosts = frozenset(host.lower() for host in rules.hosts)
        self._http = httpx.Client(
            headers={"User-Agent": user_agent},
            timeout=httpx.Timeout(rules.timeout_seconds),
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=rules.concurrency, max_keepalive_connections=rules.concurrency
            ),
        )

    def close(self) -> None:
        self._http.close()

    def fetch_all(
        self,
        targets: Iterable[Located],
        validators: dict[str, Validators],
        on_record: Callable[[ImageRecord], None],
    ) -> None:
        """Fetch `targets`, `rules.concurrency` at a time; `on_record` runs in the caller's thread."""
        with ThreadPoolExecutor(self.rules.concurrency, thread_name_prefix="image") as pool:
            for record in pool.map(
                lambda target: self.fetch(target, validators.get(target.source_url)), targets
            ):
                on_record(record)

    def fetch(self, target: Located, validators: Validators | None = None) -> ImageRecord:
        if target.error is not None:
            return self._failed(target, target.error)
        try:
            kept = self.store.lookup(target.name) if validators else None
            download = self._download(target.source_url, validators if kept else None)
            if download is None:
                assert kept is not None
                _NOT_MODIFIED.inc()
                return _fetched(target, kept, validators.etag, validators.last_modified)
            facts = verify(download.payload, download.content_type)
            stored = self.store.put(target.name, download.payload, facts)
        except (DownloadRefused, ImageRejected) as error:
            return self._failed(target, str(error))
        except ImageStoreError as error:
            return self._failed(target, f"not stored, the last good copy kept: {error}")
        except httpx.TimeoutException:
            return self._failed(target, f"no answer within {self.rules.timeout_seconds:g} s")
        except httpx.HTTPError as error:
            return self._failed(target, f"download failed ({type(error).__name__}: {error})")
        _STORED.inc()
        metrics.IMAGE_BYTES.inc(stored.bytes)
        return _fetched(target, stored, download.etag, download.last_modified)

    def _download(self, url: str, validators: Validators | None) -> Download | None:
        """The image at `url` after at most `max_redirects` hops; None when the server says 304."""
        deadline = time.monotonic() + self.rules.deadline_seconds
        headers = _conditional(validators)
        for _ in range(self.rules.max_redirects + 1):
            self._check_host(url)
            with self._http.stream("GET", url, headers=headers) as response:
                if response.status_code == 304 and validators is not None:
                    return None
                if response.status_code in _REDIRECTS and "Location" in response.headers:
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    raise DownloadRefused(f"HTTP {response.status_code} {response.reason_phrase} from {url}")
                content_type = declared_type(response.headers.get("Content-Type"))
                payload = self._read(response, deadline)
                return Download(
                    payload, content_type, response.headers.get("ETag"), response.headers.get("Last-Modified")
                )
        raise DownloadRefused(f"more than {self.rules.max_redirects} redirects")

    def _check_host(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in self.hosts:
            raise DownloadRefused(f"{url} is not on an allowed image host ({', '.join(sorted(self.hosts))})")

    def _read(self, response: httpx.Response, deadline: float) -> bytes:
        cap = self.rules.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise DownloadRefused(f"{int(declared):,} bytes declared, over the cap of {cap:,}")
        body = bytearray()
        for chunk in response.iter_bytes(CHUNK_BYTES):
            body += chunk
            if len(body) > cap:
                raise DownloadRefused(f"more than the cap of {cap:,} bytes")
            if time.monotonic() > deadline:
                raise DownloadRefused(f"not complete within {self.rules.deadline_seconds:g} s")
        return bytes(body)

    def _failed(self, target: Located, reason: str) -> ImageRecord:
        log.warning("image %s refused: %s", target.name, reason)
        _FAILED.inc()
        return ImageRecord(target.name, target.source_url, "failed", error=reason)


def _conditional(validators: Validators | None) -> dict[str, str]:
    if validators is None:
        return {}
    headers = {"If-None-Match": validators.etag, "If-Modified-Since": validators.last_modified}
    return {name: value for name, value in headers.items() if value}


def _fetched(
    target: Located, stored: StoredImage, etag: str | None, last_modified: str | None
) -> ImageRecord:
    return ImageRecord(
        file_name=target.name,
        source_url=target.source_url,
        status="fetched",
        local_path=stored.relative_path,
        sha256=stored.sha256,
        content_type=stored.content_type,
        bytes=stored.bytes,
        width=stored.width,
        height=stored.height,
        etag=etag,
        last_modified=last_modified,
    )
