"""The application factory: ``create_app(settings)`` with every resource opened in ``cleanup_ctx``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge

from postal.api.guards import make_body_deadline
from postal.api.routes import setup_api
from postal.edge.keys import (
    clock_key,
    pool_key,
    registry_key,
    settings_key,
    token_cache_key,
    track_blocks_key,
)
from postal.edge.middleware import HttpMetrics, make_middlewares
from postal.services import printing
from postal.services.accounts import TokenCache
from postal.services.views import Clock
from postal.settings import Settings
from postal.store.database import create_pool, resolve_dsn
from postal.web import setup_pages


def _pool_ctx(dsn: str | None) -> Callable[[web.Application], AsyncIterator[None]]:
    async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[settings_key]
        pool = await create_pool(dsn or resolve_dsn(settings), settings)
        app[pool_key] = pool
        gauge = Gauge("postal_db_pool_connections", "Database pool connections", ["state"],
                      registry=app[registry_key])
        gauge.labels("open").set_function(pool.get_size)
        gauge.labels("idle").set_function(pool.get_idle_size)
        yield
        await pool.close()

    return pool_ctx


async def _printing_ctx(app: web.Application) -> AsyncIterator[None]:
    """Load the label fonts once per process, off the event loop, before the first request."""
    await asyncio.to_thread(printing.warm_up)
    yield


async def create_app(settings: Settings, *, dsn: str | None = None) -> web.Application:
    """The web application: API, pages, health and metrics. Background workers are started by the caller."""
    registry = CollectorRegistry()
    app = web.Application(
        middlewares=[*make_middlewares(HttpMetrics(registry), settings.access_log_sample),
                     make_body_deadline(settings.body_timeout_seconds)],
        client_max_size=settings.max_body_bytes,
    )
    app[settings_key] = settings
    app[registry_key] = registry
    app[clock_key] = Clock(settings)
    app[token_cache_key] = TokenCache(settings.token_cache_seconds)
    app[track_blocks_key] = {}
    app.cleanup_ctx.append(_pool_ctx(dsn))
    app.cleanup_ctx.append(_printing_ctx)
    setup_api(app)
    setup_pages(app)
    return app
