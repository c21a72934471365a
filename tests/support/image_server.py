"""Images for tests and benchmarks: small PNG/JPEG files made on the spot, and a loopback HTTP server
that answers each path as told — well, or in one of the ways image hosts misbehave."""

from __future__ import annotations

import hashlib
import io
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def picture(seed: int, image_format: str = "PNG", size: tuple[int, int] = (48, 32)) -> bytes:
    """A distinct small image per seed."""
    colour = (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)
    image = Image.new("RGB", size, colour)
    image.putpixel((seed % size[0], seed // size[0] % size[1]), (255 - colour[0], 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


@dataclass
class Reply:
    """How the server answers one path."""

    body: bytes = b""
    content_type: str = "image/png"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    send_bytes: int | None = None
    drip_seconds: float = 0.0
    chunked: bool = False

    @property
    def etag(self) -> str:
        return '"' + hashlib.md5(self.body, usedforsecurity=False).hexdigest() + '"'


class ImageServer:
    """A threading HTTP server on 127.0.0.1 serving `routes` (path → Reply); counts requests per path."""

    def __init__(self, routes: dict[str, Reply] | None = None) -> None:
        self.routes: dict[str, Reply] = routes or {}
        self.requests: dict[str, int] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(owner: ImageServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            owner.requests[self.path] = owner.requests.get(self.path, 0) + 1
            reply = owner.routes.get(self.path)
            if reply is None:
                self._answer(404, {"Content-Length": "0"})
                return
            if reply.status == 200 and self.headers.get("If-None-Match") == reply.etag:
                self._answer(304, {"ETag": reply.etag, "Content-Length": "0"})
                return
            headers = {"Content-Type": reply.content_type, "ETag": reply.etag, **reply.headers}
            if reply.chunked:
                self._answer(reply.status, {**headers, "Transfer-Encoding": "chunked"})
                self._send_chunked(reply.body)
                return
            self._answer(reply.status, {**headers, "Content-Length": str(len(reply.body))})
            self._send(reply.body[: reply.send_bytes], reply.drip_seconds)
            if reply.send_bytes is not None:
                self.close_connection = True

        def _answer(self, status: int, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()

        def _send(self, body: bytes, drip_seconds: float) -> None:
            try:
                if not drip_seconds:
                    self.wfile.write(body)
                    return
                for offset in range(0, len(body), 16):
                    self.wfile.write(body[offset : offset + 16])
                    self.wfile.flush()
                    time.sleep(drip_seconds)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _send_chunked(self, body: bytes) -> None:
            try:
                for offset in range(0, len(body), 8192):
                    piece = body[offset : offset + 8192]
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler
