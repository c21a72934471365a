"""Cached images, served from the image store with validators: clients and proxies keep them.

The store's name files say which object a name is, so images are served without PostgreSQL. The URL
names a file, not its content, and a refresh may change what it holds: caches may keep an answer for a
day, then revalidate with its ETag (the sha256 of the bytes), which costs a 304. An image in a bucket
is a redirect to the bucket's URL (the bytes never pass through the service) or streamed from it, as
`LORECACHE_IMAGE_DELIVERY` says; either carries the same ETag.
"""

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Request, Response
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse

from lorecache.api.schemas import ErrorBody
from lorecache.images.disk import ImageDisk
from lorecache.images.names import MAX_NAME_BYTES, BadImageName, canonical
from lorecache.images.store import ImageStore, ImageStoreError, StoredImage
from lorecache.runtime import Runtime

router = APIRouter(prefix="/api/v1/wiki", tags=["wiki"])

CACHE_CONTROL = "public, max-age=86400"
PRESIGNED_CACHE_CONTROL = "public, max-age=1800"
"""A redirect to a presigned URL is kept no longer than half of the URL's life."""
NAME_PATTERN = r"^[^./\\\x00-\x1f\x7f][^/\\\x00-\x1f\x7f]*$"


@router.get(
    "/images/{file_name}",
    response_class=FileResponse,
    responses={
        200: {"content": {"image/png": {}, "image/jpeg": {}, "image/gif": {}, "image/webp": {}}},
        304: {"description": "The client's copy (If-None-Match) is current"},
        307: {"description": "The image is in a bucket: its URL there (LORECACHE_IMAGE_DELIVERY=redirect)"},
        404: {"model": ErrorBody, "description": "No cached image of that name"},
        503: {"model": ErrorBody, "description": "The image store cannot be reached"},
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
    try:
        stored = runtime.images.lookup(name)
        if stored is None:
            raise HTTPException(404, f"no cached image named {name!r}")
        etag = f'"{stored.sha256}"'
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if if_none_match and _matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        return _content(runtime.images, stored, headers, runtime.settings.image_delivery)
    except ImageStoreError as error:
        raise HTTPException(503, f"the image store cannot be reached: {error}") from None


def _content(images: ImageStore, stored: StoredImage, headers: dict[str, str], delivery: str) -> Response:
    """The bytes from disk; from a bucket, its URL or the bytes streamed from it."""
    if isinstance(images, ImageDisk):
        return FileResponse(images.path_of(stored), media_type=stored.content_type, headers=headers)
    if delivery == "redirect":
        if not images.public_url:
            headers = {**headers, "Cache-Control": PRESIGNED_CACHE_CONTROL}
        return RedirectResponse(images.url_of(stored), headers=headers)
    headers = {**headers, "Content-Length": str(stored.bytes)}
    return StreamingResponse(images.chunks(stored), media_type=stored.content_type, headers=headers)


def _matches(header: str, etag: str) -> bool:
    """RFC 9110 weak comparison, as If-None-Match asks."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags
