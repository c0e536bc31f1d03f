"""Handlers of the access audit (``GET /audit``) and the privacy figures of ``/metrics``."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web
from prometheus_client import Gauge

from postal.api.auth import require
from postal.api.openapi import Operation
from postal.api.schemas import _Out
from postal.api.validation import parse_query
from postal.edge.keys import clock_key, pool_key, registry_key
from postal.edge.responses import json_response
from postal.services import audit, retention


class AccessOut(_Out):
    """One access record: who read which shipment's personal data, when, through what."""

    id: int
    at: str
    username: str | None
    role: str
    action: str
    tracking_code: str | None
    agency_code: str | None
    subject: str | None


class AccessPage(_Out):
    items: list[AccessOut]
    next_cursor: str | None


async def index(request: web.Request) -> web.Response:
    principal = await require(request, *audit.READERS)
    query = parse_query(request, audit.AuditQuery)
    return json_response(await audit.list_records(request.app[pool_key], principal, query, request.app[clock_key]))


_PURGED = "postal_shipments_purged"


async def refresh_metrics(app: web.Application) -> None:
    """Set the purged-shipments gauge from the database (every process's purges), before a scrape."""
    registry = app[registry_key]
    gauge = registry._names_to_collectors.get(_PURGED)
    if gauge is None:
        gauge = Gauge(_PURGED, "Shipments whose personal data the retention purge has erased", registry=registry)
    assert isinstance(gauge, Gauge)
    try:
        async with asyncio.timeout(2):
            gauge.set(await retention.purged_count(app[pool_key]))
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        pass  # the other metrics still answer; the gauge keeps its last value


OPERATIONS = [
    Operation("GET", "/audit", index, "Nhật ký truy cập dữ liệu cá nhân (quản trị viên; cán bộ: cơ quan mình)",
              {200: AccessPage}, query=audit.AuditQuery, tags=("privacy",)),
]
