"""The application factory: one Runtime per process, started with the app and stopped with it.

`lorecache serve --workers N` imports `create_app` by name in each worker process (uvicorn's factory
mode), so every worker reads its settings from the environment.
"""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.routing import Route

from lorecache import __version__
from lorecache import metrics as service_metrics
from lorecache.api import images, mcp, metrics, routes
from lorecache.api.limits import RequestLimits
from lorecache.config import Settings, get_settings
from lorecache.runtime import Runtime
from lorecache.universes import Universe
from lorecache.web import mount as mount_pages

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, prefetch: bool = True) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings)
    server = mcp.build(runtime.store, runtime.universe, settings.mcp_tools)
    lore = mcp.HttpTransport(server, settings.mcp_hosts)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("Starting Lorecache (universe %s)", settings.universe)
        runtime.start(prefetch=prefetch)
        service_metrics.PROCESSES.inc()
        log.info("API is ready; docs at /docs. Prefetch running in the background: GET /prefetch/status")
        # A mounted app's own lifespan never runs: the MCP sessions' task group lives in this one.
        async with lore.running():
            yield
        service_metrics.PROCESSES.dec()
        runtime.stop()

    app = FastAPI(
        title="Lorecache",
        version=__version__,
        description="A fan wiki's lore, cached in PostgreSQL and on disk, served as JSON.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.add_middleware(RequestLimits)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization"],
            expose_headers=["X-Served-From"],
        )
    # Outermost, so that requests the others refuse are counted too.
    app.add_middleware(metrics.RequestMetrics)
    app.include_router(routes.service)
    app.include_router(metrics.router)
    app.include_router(routes.wiki)
    app.include_router(images.router)
    mount_pages(app)
    # A route, not a mount: a mount at /mcp answers /mcp itself with a redirect, which clients posting
    # to /mcp do not follow.
    app.router.routes.append(Route("/mcp", lore))
    app.openapi = _schema_of_universe(app, runtime.universe)  # type: ignore[method-assign]
    return app


def _schema_of_universe(app: FastAPI, universe: Universe) -> Callable[[], dict[str, Any]]:
    """The OpenAPI schema, with the universe's categories as the only values of a `category` query
    parameter and its calendar's years as the pattern of `from`, `to` and `as_of` (anything else is a
    422). The routes serve every universe, so these are set per app."""
    generate = app.openapi
    categories = sorted(universe.categories)
    named = ("category", *routes.TIME_PARAMETERS)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for operation in (op for path in schema["paths"].values() for op in path.values()):
                for parameter in operation.get("parameters", []):
                    if parameter["in"] != "query" or parameter["name"] not in named:
                        continue
                    described = {k: v for k, v in parameter["schema"].items() if k != "anyOf"}
                    if parameter["name"] == "category":
                        parameter["schema"] = {**described, "type": "string", "enum": categories}
                    else:
                        years = universe.calendar.pattern
                        parameter["schema"] = {**described, "type": "string", "pattern": years}
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi
