"""A loopback HTTP proxy between the scraper and the test wiki that records every request and answers
the ones a test picks with a fault: 429 with Retry-After, 503, JSON cut in half, or no answer at all."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import httpx

RETRY_AFTER_SECONDS = 1


@dataclass
class Seen:
    at: float
    params: dict[str, str]
    headers: dict[str, str]
    fault: str | None


@dataclass
class FaultProxy:
    upstream: str
    hang_seconds: float = 3.0
    delay_seconds: float = 0.0
    faults: dict[int, str] = field(default_factory=dict)
    always: str | None = None
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api.php"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fetched_page_ids(self) -> list[int]:
        """Every page id asked for in a content request, in order (retries included)."""
        return [
            int(page_id)
            for seen in self.seen
            if seen.fault is None and "pageids" in seen.params
            for page_id in seen.params["pageids"].split("|")
        ]

    def _arrive(self, params: dict[str, str], headers: dict[str, str]) -> str | None:
        with self._lock:
            fault = self.faults.pop(len(self.seen), None) or self.always
            self.seen.append(Seen(time.monotonic(), params, headers, fault))
        return fault


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fault = proxy._arrive(dict(parse_qsl(urlsplit(self.path).query)), dict(self.headers))
            time.sleep(proxy.delay_seconds)
            if fault == "hang":
                time.sleep(proxy.hang_seconds)
                return
            if fault == "429":
                self._send(429, b"Too many requests", {"Retry-After": str(RETRY_AFTER_SECONDS)})
                return
            if fault == "503":
                self._send(503, b"Service unavailable", {})
                return
            upstream = httpx.get(proxy.upstream + "?" + urlsplit(self.path).query, timeout=30)
            body = upstream.content[: len(upstream.content) // 2] if fault == "truncate" else upstream.content
            self._send(upstream.status_code, body, {"Content-Type": "application/json; charset=utf-8"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
