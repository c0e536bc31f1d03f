"""Every API operation, in one list: the router and the OpenAPI document are both built from it."""

from __future__ import annotations

from aiohttp import web

from postal import __version__
from postal.api import (
    audit,
    calendar,
    carriers,
    citizens,
    labels,
    notifications,
    payments,
    reports,
    scans,
    shipments,
    system,
    tracking,
    webhooks,
    zalo,
)
from postal.api.openapi import Operation, openapi_document
from postal.edge.keys import openapi_key

PREFIX = "/api/v1"

# Each API module exposes OPERATIONS; add new modules here.
OPERATIONS: list[Operation] = [
    *shipments.OPERATIONS,
    *scans.OPERATIONS,
    *labels.OPERATIONS,
    *tracking.OPERATIONS,
    *calendar.OPERATIONS,
    *webhooks.OPERATIONS,
    *reports.OPERATIONS,
    *system.OPERATIONS,
    *notifications.OPERATIONS,
    *zalo.OPERATIONS,
    *payments.OPERATIONS,
    *carriers.OPERATIONS,
    *audit.OPERATIONS,
    *citizens.OPERATIONS,
]


def setup_api(app: web.Application) -> None:
    """Register the API routes, /healthz and /metrics, and keep the generated OpenAPI document."""
    for op in OPERATIONS:
        app.router.add_route(op.method, PREFIX + op.path, op.handler)
    app.router.add_get("/healthz", system.healthz)
    app.router.add_get("/metrics", system.metrics)
    app[openapi_key] = openapi_document(OPERATIONS, PREFIX, __version__)
