"""The application factory: one Runtime per process, started with the app and stopped with it."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from lorecache import __version__
from lorecache.api import routes
from lorecache.config import Settings, get_settings
from lorecache.runtime import Runtime

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, prefetch: bool = True) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("Starting Lorecache (universe %s)", settings.universe)
        runtime.start(prefetch=prefetch)
        log.info("API is ready; docs at /docs. Prefetch running in the background: GET /prefetch/status")
        yield
        runtime.stop()

    app = FastAPI(
        title="Lorecache",
        version=__version__,
        description="A fan wiki's lore, cached in PostgreSQL and on disk, served as JSON.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.include_router(routes.service)
    app.include_router(routes.wiki)
    return app
