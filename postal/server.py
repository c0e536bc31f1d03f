"""Running the service: ``postal serve`` (web + in-process workers) and ``postal worker``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from postal import logs
from postal.app import create_app
from postal.edge.keys import pool_key, settings_key
from postal.services.setup import prepare_database
from postal.services.views import Clock
from postal.settings import Settings
from postal.store.database import connect, create_pool, resolve_dsn
from postal.workers import HANDLERS, notify, outbox, overdue, retention, webhooks

log = logging.getLogger(__name__)


async def _prepare(settings: Settings) -> str:
    dsn = resolve_dsn(settings)
    con = await connect(dsn)
    try:
        applied = await prepare_database(con)
    finally:
        await con.close()
    log.info("database ready", extra={"migrations_applied": applied})
    return dsn


async def _workers_ctx(app: web.Application) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(outbox.run(app[pool_key], HANDLERS)),
             asyncio.create_task(webhooks.run(app[pool_key], app[settings_key])),
             asyncio.create_task(overdue.run(app[pool_key], Clock(app[settings_key]))),
             asyncio.create_task(retention.run(app[pool_key], Clock(app[settings_key])))]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


def handler_args(settings: Settings) -> dict[str, Any]:
    """Connection limits of aiohttp's request handler.

    aiohttp arms its keep-alive timer when a connection opens and re-arms it only after a response,
    so a client that has not sent a whole request head within ``keepalive_timeout`` (trickling or
    silent) is closed: that timer is our header read timeout. Head lines stay within aiohttp's
    8 KB defaults, said here so nobody raises them without reading ``postal.logs``.
    """
    return {"keepalive_timeout": settings.header_timeout_seconds, "max_line_size": 8190,
            "max_field_size": 8190, "max_headers": 128}


async def _notify_ctx(app: web.Application) -> AsyncIterator[None]:
    """The citizen-notification sender, with its providers' HTTP session opened here and closed last."""
    async with notify.client_session(app[settings_key]) as session:
        task = asyncio.create_task(notify.run(app[pool_key], app[settings_key], session))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def serve(settings: Settings, host: str, port: int, *, workers: bool = True) -> None:
    """Migrate, then serve the pages and the API until interrupted."""
    logs.configure(settings.log_level)
    settings = settings.listening_on(host, port)
    dsn = await _prepare(settings)
    app = await create_app(settings, dsn=dsn)
    if workers:
        app.cleanup_ctx.append(_workers_ctx)
        app.cleanup_ctx.append(_notify_ctx)
    runner = web.AppRunner(app, access_log=None, **handler_args(settings))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("serving", extra={"url": f"http://{host}:{port}", "public_url": settings.public_url,
                               "workers": workers})
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def run_workers_forever(settings: Settings) -> None:
    """Run the background workers alone (``postal serve --no-workers`` elsewhere)."""
    logs.configure(settings.log_level)
    pool = await create_pool(await _prepare(settings), settings)
    try:
        async with notify.client_session(settings) as session:
            await asyncio.gather(outbox.run(pool, HANDLERS), notify.run(pool, settings, session),
                                 webhooks.run(pool, settings), overdue.run(pool, Clock(settings)),
                                 retention.run(pool, Clock(settings)))
    finally:
        await pool.close()
