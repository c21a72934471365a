"""`GET /metrics` (Prometheus' text format) and the middleware that counts and times every request.

Requests are labelled by their route's template (`/api/v1/wiki/articles/{title:path}`), never by
their path, so a label set exists per route and status, not per article asked. The middleware is
plain ASGI and keeps the labelled series it has met in a dict: a request costs a few microseconds of
the millisecond a kept answer takes.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lorecache import metrics

router = APIRouter(tags=["service"])

UNMATCHED = "unmatched"
"""The route label of a request no route took (a 404 of the router, a refusal of the request limits)."""
SERVED_FROM = b"x-served-from"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Any other method a client sends is labelled `other`: labels must not be a client's to multiply."""


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def scrape(request: Request) -> Response:
    """Every API process's metrics, added up (README's Metrics section lists them)."""
    metrics.observe_databases(request.app.state.runtime.store.databases())
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """ASGI middleware: each HTTP request counted and timed by method, route template and status, and
    each data answer counted by the store that gave it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._answers: dict[bytes, Counter] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        served_from: bytes | None = None

        async def observed(message: Message) -> None:
            nonlocal status, served_from
            if message["type"] == "http.response.start":
                status = message["status"]
                served_from = next((v for k, v in message.get("headers", ()) if k == SERVED_FROM), None)
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route = scope.get("route")
            method = scope["method"] if scope["method"] in METHODS else "other"
            key = (method, getattr(route, "path", UNMATCHED), status)
            count, latency = self._series.get(key) or self._series.setdefault(key, _series(*key))
            count.inc()
            latency.observe(time.perf_counter() - started)
            if served_from is not None:
                answers = self._answers.get(served_from) or self._answers.setdefault(
                    served_from, metrics.ANSWERS.labels(served_from.decode("latin-1"))
                )
                answers.inc()


def _series(method: str, route: str, status: int) -> tuple[Counter, Histogram]:
    labels = {"method": method, "route": route, "status": str(status)}
    return metrics.REQUESTS.labels(**labels), metrics.LATENCY.labels(**labels)
