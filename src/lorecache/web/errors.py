"""A request a page cannot answer (a bad parameter, an unknown article or category) is a page of its
own with its status and a sentence saying what was wrong, logged, never a 500 or a JSON body in a
browser tab."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import HTMLResponse

from lorecache.web import render

log = logging.getLogger(__name__)


class PageError(Exception):
    def __init__(self, status: int, message: str, search: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.search = search
        """What to offer to search for instead: the title a missing card was asked by."""


async def render_error(request: Request, error: Exception) -> HTMLResponse:
    assert isinstance(error, PageError)
    log.info("page %s answered %d: %s", request.url.path, error.status, error.message)
    return render.page(
        request,
        "error.html",
        None,
        status=error.status,
        code=error.status,
        message=error.message,
        search=error.search,
    )
