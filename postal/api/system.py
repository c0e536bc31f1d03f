"""Health, metrics and the OpenAPI document."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from postal.api import audit
from postal.api.guards import require_metrics_access
from postal.api.openapi import Operation
from postal.api.schemas import Health, OpenAPIDocument
from postal.edge.keys import openapi_key, pool_key, registry_key
from postal.store.database import ping


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers within 2 s, 503 otherwise."""
    try:
        async with asyncio.timeout(2):
            await ping(request.app[pool_key])
    except Exception:  # unreachable, refused, timed out, pool closed: all mean "not healthy"
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus metrics, for the monitoring network or an admin/metrics token only."""
    await require_metrics_access(request)
    await audit.refresh_metrics(request.app)
    body = generate_latest(request.app[registry_key])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi(request: web.Request) -> web.Response:
    document: dict[str, Any] = request.app[openapi_key]
    return web.json_response(document)


OPERATIONS = [
    Operation("GET", "/openapi.json", openapi, "Tài liệu OpenAPI 3.1 của API này", {200: OpenAPIDocument},
              errors=(), public=True, tags=("system",)),
]
HEALTH = Operation("GET", "/healthz", healthz, "Kiểm tra kết nối cơ sở dữ liệu", {200: Health, 503: Health},
                   errors=(), public=True, tags=("system",))
