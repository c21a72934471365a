"""Cached images, served from the image directory with validators: clients and proxies keep them.

The name files on disk say which object a name is, so images are served without PostgreSQL. The URL
names a file, not its content, and a refresh may change what it holds: caches may keep an answer for a
day, then revalidate with its ETag (the sha256 of the bytes), which costs a 304.
"""

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Request, Response
from fastapi.responses import FileResponse

from lorecache.api.schemas import ErrorBody
from lorecache.images.names import MAX_NAME_BYTES, BadImageName, canonical
from lorecache.runtime import Runtime

router = APIRouter(prefix="/api/v1/wiki", tags=["wiki"])

CACHE_CONTROL = "public, max-age=86400"
NAME_PATTERN = r"^[^./\\\x00-\x1f\x7f][^/\\\x00-\x1f\x7f]*$"


@router.get(
    "/images/{file_name}",
    response_class=FileResponse,
    responses={
        200: {"content": {"image/png": {}, "image/jpeg": {}, "image/gif": {}, "image/webp": {}}},
        304: {"description": "The client's copy (If-None-Match) is current"},
        404: {"model": ErrorBody, "description": "No cached image of that name"},
    },
)
def image(
    request: Request,
    file_name: Annotated[
        str,
        Path(max_length=MAX_NAME_BYTES, pattern=NAME_PATTERN, description="The wiki's file name."),
    ],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A cached image by its file name (spaces or underscores), as the articles' `image_url` gives it."""
    runtime: Runtime = request.app.state.runtime
    try:
        name = canonical(file_name)
    except BadImageName as error:
        raise HTTPException(404, f"no cached image: {error}") from None
    stored = runtime.images.lookup(name)
    if stored is None:
        raise HTTPException(404, f"no cached image named {name!r}")
    etag = f'"{stored.sha256}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return FileResponse(runtime.images.path_of(stored), media_type=stored.content_type, headers=headers)


def _matches(header: str, etag: str) -> bool:
    """RFC 9110 weak comparison, as If-None-Match asks."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags
