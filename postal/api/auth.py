"""Who is asking: a bearer token for integrations and devices, a session cookie (with CSRF) for pages."""

from __future__ import annotations

from aiohttp import web

from postal.domain.access import Principal, Role
from postal.edge.keys import pool_key, token_cache_key
from postal.edge.session import SESSION_COOKIE, check_csrf
from postal.errors import Unauthenticated
from postal.services import accounts

principal_key = web.RequestKey("principal", Principal)
csrf_key = web.RequestKey("csrf", str)
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


async def current_principal(request: web.Request) -> Principal | None:
    """The principal behind the request, or None when it carries no credentials at all."""
    if principal_key in request:
        return request[principal_key]
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Dùng tiêu đề 'Authorization: Bearer <token>'.")
        found = await accounts.authenticate_cached(request.app[pool_key], request.app[token_cache_key],
                                                   token.strip())
    else:
        async with request.app[pool_key].acquire() as con:
            session = await accounts.session(con, request.cookies.get(SESSION_COOKIE, ""))
        if session is None:
            return None
        found, request[csrf_key] = session
        if request.method not in _SAFE:
            await check_csrf(request, request[csrf_key])
    request[principal_key] = found
    return found


async def require(request: web.Request, *roles: Role) -> Principal:
    """The principal, refused with 401 when absent and 403 when its role is not among ``roles``.

    Services check roles; the lists live there. A handler passes a service's list only when it reads
    input (body or query) before calling the service, so a caller of the wrong role hears 403 first."""
    principal = await current_principal(request)
    if principal is None:
        raise Unauthenticated("Cần đăng nhập hoặc gửi 'Authorization: Bearer <token>'.")
    if roles:
        principal.require(*roles)
    return principal
