"""The page a game master keeps open at the table: search as you type, article cards, random picks and
category browsing, rendered on the server from the read interface (not from the JSON API), so the file
cache serves it too when PostgreSQL is down. Templates and static files ship in the package: no build
step, nothing fetched from elsewhere."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from lorecache.web import errors, pages

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    """The pages, their static files at `/static`, and their errors rendered as pages."""
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(errors.PageError, errors.render_error)
