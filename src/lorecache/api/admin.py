"""The admin guard: routes that start work on the server need `Authorization: Bearer <token>`.

With no `LORECACHE_ADMIN_TOKEN` configured the admin routes are off (403), so a fresh install exposes
nothing that changes state. The token is compared in constant time, so timing reveals nothing of it.
"""

import hmac
import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lorecache.api.schemas import ErrorBody

log = logging.getLogger(__name__)

bearer = HTTPBearer(auto_error=False, description="LORECACHE_ADMIN_TOKEN")

RESPONSES = {
    401: {"model": ErrorBody, "description": "Missing or wrong admin token"},
    403: {"model": ErrorBody, "description": "Admin routes are off: LORECACHE_ADMIN_TOKEN is not set"},
}


def require_admin(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    configured = request.app.state.runtime.settings.admin_token
    if configured is None:
        raise HTTPException(403, "admin routes are off: set LORECACHE_ADMIN_TOKEN to enable them")
    offered = credentials.credentials if credentials else ""
    if not hmac.compare_digest(offered.encode(), configured.get_secret_value().encode()):
        log.warning("refused an admin request from %s: missing or wrong token", _client(request))
        raise HTTPException(401, "missing or wrong admin token", headers={"WWW-Authenticate": "Bearer"})


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown client"
