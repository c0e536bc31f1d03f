"""Operational guards: a deadline on reading request bodies, and who may read ``/metrics``.

Header read timeouts live in the connection handler (``postal.server.handler_args``): aiohttp closes
a connection whose request head is incomplete when its keep-alive timer fires. A body, once the head
is in, is read by the handler at its own pace; :func:`body_deadline` bounds that read so a client
trickling a body cannot hold a connection (and a pool connection, a form parse…) for ever.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from postal.api.auth import current_principal
from postal.domain.access import Role
from postal.domain.network import in_networks
from postal.edge.keys import settings_key
from postal.edge.problems import from_error
from postal.edge.session import client_address
from postal.errors import Forbidden, RequestTimeout

log = logging.getLogger("postal.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BodyReadTimeout(asyncio.TimeoutError):
    """The client did not send its whole body in time (a TimeoutError, so aiohttp's lingering close ends quietly)."""


def make_body_deadline(seconds: float) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware that fails body reads still pending ``seconds`` after the head arrived (408, connection closed)."""

    @web.middleware
    async def body_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.body_exists or request.content.is_eof():
            return await handler(request)
        timer = asyncio.get_running_loop().call_later(seconds, _expire, request)
        try:
            return await handler(request)
        except BodyReadTimeout:
            log.warning("request body not received in time; connection closed", extra={"limit_s": seconds})
            response = from_error(RequestTimeout(f"Không nhận đủ dữ liệu trong {seconds:g} giây."))
            response.force_close()
            return response
        finally:
            timer.cancel()

    return body_deadline


def _expire(request: web.Request) -> None:
    if not request.content.is_eof():
        request.content.set_exception(BodyReadTimeout())


async def require_metrics_access(request: web.Request) -> None:
    """``/metrics`` is for the monitoring network (``POSTAL_METRICS_NETWORKS``) or a bearer of the metrics
    token or of an admin's API token; anyone else gets 403."""
    settings = request.app[settings_key]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if settings.metrics_token and scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), settings.metrics_token.encode()
    ):
        return
    if header:
        principal = await current_principal(request)
        if principal is not None and principal.role is Role.admin:
            return
        raise Forbidden("Chỉ quản trị viên hoặc mạng giám sát được xem số liệu vận hành.")
    if not in_networks(client_address(request), settings.metrics_networks):
        raise Forbidden("Chỉ quản trị viên hoặc mạng giám sát được xem số liệu vận hành.")
