"""The app bench.stack serves: Lorecache's own (`lorecache.api.app:create_app`, its routes unchanged)
plus three probe routes that give one constant answer three ways.

FastAPI runs an `async def` route in the event loop, and a `def` route, or a `def` dependency of any
route, on a worker thread of anyio's pool: a hop to a thread and back per request. Which of the two
Lorecache's routes are changes as they are written, so the probes measure the hop itself on each
server, whatever the routes are today: the same answer as `/health` from an `async def` route, a `def`
route, and an `async def` route taking a `def` dependency (as a route reading the store through a
`def` provider does).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response

from lorecache.api.app import create_app as create_lorecache

BODY = b'{"status":"healthy"}'

probes = APIRouter(prefix="/bench", include_in_schema=False)


def _app_of(request: Request) -> FastAPI:
    return request.app


@probes.get("/async")
async def in_loop() -> Response:
    return Response(BODY, media_type="application/json")


@probes.get("/def")
def on_thread() -> Response:
    return Response(BODY, media_type="application/json")


@probes.get("/async-def-dependency")
async def in_loop_after_thread(app: Annotated[FastAPI, Depends(_app_of)]) -> Response:
    return Response(BODY, media_type="application/json")


def create_app() -> FastAPI:
    """Lorecache's factory, settings from the environment as in `lorecache serve --workers N`."""
    app = create_lorecache()
    app.include_router(probes)
    return app
