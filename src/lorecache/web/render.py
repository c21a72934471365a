"""Templates into responses. Autoescaping is on for every template, and each page forbids any script,
style or image but the service's own (Content-Security-Policy): text from the wiki or from a request
is shown as text, and anything that slipped through still would not run."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from lorecache.web.urls import wiki_url, with_query

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
FILE_CACHE = "file_cache"

templates = Environment(
    loader=PackageLoader("lorecache.web"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def license_url(license: str) -> str:
    """The Creative Commons deed of `CC BY-SA 3.0` and its kin, which the attribution links to."""
    name, _, version = license.removeprefix("CC ").rpartition(" ")
    return f"https://creativecommons.org/licenses/{name.lower()}/{version}/"


templates.globals.update(wiki_url=wiki_url, with_query=with_query, license_url=license_url)


def brief(text: str, characters: int = 200) -> str:
    """A summary's start, cut at a word."""
    if len(text) <= characters:
        return text
    return text[:characters].rsplit(" ", 1)[0] + "…"


templates.filters["brief"] = brief


def page(
    request: Request, template: str, served_from: str | None, status: int = 200, **context: object
) -> HTMLResponse:
    """A page; a note says when its answers came from the file cache (PostgreSQL down)."""
    runtime = request.app.state.runtime
    body = templates.get_template(template).render(
        universe=runtime.universe, degraded=served_from == FILE_CACHE, **context
    )
    headers = dict(HEADERS)
    if served_from:
        headers["X-Served-From"] = served_from
    return HTMLResponse(body, status_code=status, headers=headers)
