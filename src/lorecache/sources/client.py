"""A polite client for a MediaWiki Action API: paced, identified, patient with a busy wiki.

Wikis rate-limit and block clients that hammer them or hide who runs them, so every request names a
contact in its User-Agent, carries `maxlag`, waits its turn under the configured rate, and backs off
(honouring `Retry-After`) on 429, 5xx, lag and broken answers. When the wiki keeps refusing, the error
says what it answered last.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from lorecache import __version__
from lorecache.sources import SourceError
from lorecache.universes import ScrapeRules

log = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RETRY_API_ERRORS = frozenset({"maxlag", "ratelimited", "readonly", "internal_api_error_DBQueryError"})


class WikiError(SourceError):
    """The wiki refused, kept failing, or answered an API error."""


class MissingContactError(WikiError):
    """No contact to put in the User-Agent: wikis answer anonymous scrapers with 403 or 429."""


class _Retry(Exception):
    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.after = reason, after


def user_agent(contact: str | None) -> str:
    """Wikimedia's User-Agent policy: client/version (contact) library/version."""
    if not contact or not contact.strip():
        raise MissingContactError(
            "set LORECACHE_CONTACT to an e-mail address or URL where the wiki's operators can reach "
            "you: it goes in the User-Agent, and wikis refuse anonymous scrapers"
        )
    return f"Lorecache/{__version__} ({contact.strip()}) httpx/{httpx.__version__}"


class ApiClient:
    """GET requests to one `api.php`, safe to share between threads."""

    def __init__(self, api_url: str, rules: ScrapeRules, contact: str | None) -> None:
        self.api_url = api_url
        self.rules = rules
        self.requests = 0
        self._http = httpx.Client(
            headers={"User-Agent": user_agent(contact), "Accept-Encoding": "gzip"},
            timeout=httpx.Timeout(rules.timeout_seconds),
            follow_redirects=True,
        )
        self._turn = threading.Lock()
        self._next_start = 0.0

    def close(self) -> None:
        self._http.close()

    def get(self, params: dict[str, str]) -> dict[str, Any]:
        """One API answer, retried with backoff until it is whole or the attempts run out."""
        query = {"format": "json", "formatversion": "2", "maxlag": str(self.rules.maxlag_seconds), **params}
        attempts = self.rules.max_attempts
        for attempt in range(1, attempts + 1):
            self._wait_turn()
            try:
                return _answer(self._http.get(self.api_url, params=query))
            except httpx.TimeoutException:
                retry = _Retry(f"no answer within {self.rules.timeout_seconds:g} s")
            except httpx.TransportError as error:
                retry = _Retry(f"connection failed ({type(error).__name__}: {error})")
            except _Retry as answer:
                retry = answer
            if attempt == attempts:
                break
            self._back_off(retry, attempt)
        raise WikiError(f"{self.api_url} kept failing: {retry.reason} (gave up after {attempts} attempts)")

    def query(self, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        """The `query` part of each answer, following `continue` until the result is complete."""
        cursor: dict[str, str] = {}
        while True:
            answer = self.get({"action": "query", **params, **cursor})
            yield answer.get("query", {})
            if "continue" not in answer:
                return
            cursor = {key: str(value) for key, value in answer["continue"].items()}

    def _wait_turn(self) -> None:
        """Space request starts by 1/rate across all threads; counts the request."""
        rate = self.rules.rate_per_second
        with self._turn:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + (1.0 / rate if rate > 0 else 0.0)
            self.requests += 1
        if start > now:
            time.sleep(start - now)

    def _back_off(self, retry: _Retry, attempt: int) -> None:
        if retry.after is not None and retry.after > self.rules.max_wait_seconds:
            raise WikiError(
                f"{self.api_url} asks to come back in {retry.after:g} s ({retry.reason}), longer than "
                f"the {self.rules.max_wait_seconds:g} s this scraper waits"
            )
        backoff = self.rules.backoff_seconds * 2 ** (attempt - 1) * random.uniform(1.0, 1.25)
        delay = retry.after if retry.after is not None else min(backoff, self.rules.max_wait_seconds)
        log.warning(
            "%s: %s; retrying in %.2f s (attempt %d of %d)",
            self.api_url,
            retry.reason,
            delay,
            attempt + 1,
            self.rules.max_attempts,
        )
        time.sleep(delay)


def _answer(response: httpx.Response) -> dict[str, Any]:
    after = _retry_after(response.headers.get("Retry-After"))
    if response.status_code in _RETRY_STATUSES:
        raise _Retry(f"HTTP {response.status_code} {response.reason_phrase}", after)
    if response.status_code != 200:
        raise WikiError(
            f"{response.url.copy_with(query=None)} answered HTTP {response.status_code} "
            f"{response.reason_phrase}"
            + (" (is LORECACHE_CONTACT set?)" if response.status_code == 403 else "")
        )
    try:
        data = json.loads(response.content)
    except ValueError as error:
        raise _Retry(f"truncated or invalid JSON ({error})") from None
    error = data.get("error") if isinstance(data, dict) else None
    if error is None:
        return data
    reason = f"API error {error.get('code')}: {error.get('info')}"
    if error.get("code") in _RETRY_API_ERRORS:
        raise _Retry(reason, after)
    raise WikiError(f"{response.url.copy_with(query=None)}: {reason}")


def _retry_after(header: str | None) -> float | None:
    """Seconds to wait, from either form of the header (delta-seconds or an HTTP date)."""
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
