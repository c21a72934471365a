"""Caps on how much one request can make the server read: its URL and its body.

Every route is a GET with a few short parameters and the one admin POST has no body, so the caps sit
far above any real request and far below what would cost memory. A body is checked twice: its declared
`Content-Length` before the app runs, and the bytes actually streamed, for chunked uploads that declare
nothing.
"""

from __future__ import annotations

import logging

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

MAX_URL_BYTES = 8 * 1024
MAX_BODY_BYTES = 64 * 1024


class RequestLimits:
    """ASGI middleware: 414 past `max_url_bytes` of path and query, 413 past `max_body_bytes` of body."""

    def __init__(
        self, app: ASGIApp, *, max_url_bytes: int = MAX_URL_BYTES, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.max_url_bytes = max_url_bytes
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
        if url_bytes > self.max_url_bytes:
            await _refuse(send, 414, f"URL of {url_bytes} bytes; at most {self.max_url_bytes} are read")
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _refuse(send, 413, self._body_message(declared))
            return
        await self.app(scope, self._counted(receive), send)

    def _counted(self, receive: Receive) -> Receive:
        """`receive` that stops reading once the body streamed so far passes the cap."""
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise HTTPException(413, self._body_message(received))
            return message

        return counted

    def _body_message(self, size: int) -> str:
        return f"request body of {size} bytes or more; at most {self.max_body_bytes} are read"


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, status: int, detail: str) -> None:
    log.warning("refused a request: %s", detail)
    body = orjson.dumps({"detail": detail})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
