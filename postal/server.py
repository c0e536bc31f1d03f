"""Running the service: ``postal serve`` (web + in-process workers) and ``postal worker``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from postal import logs
from postal.app import create_app
from postal.keys import pool_key, settings_key
from postal.services.setup import prepare_database
from postal.services.views import Clock
from postal.settings import Settings
from postal.store.database import connect, create_pool, resolve_dsn
from postal.workers import HANDLERS, outbox, overdue

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
             asyncio.create_task(overdue.run(app[pool_key], Clock(app[settings_key])))]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def serve(settings: Settings, host: str, port: int, *, workers: bool = True) -> None:
    """Migrate, then serve the pages and the API until interrupted."""
    logs.configure(settings.log_level)
    dsn = await _prepare(settings)
    app = await create_app(settings, dsn=dsn)
    if workers:
        app.cleanup_ctx.append(_workers_ctx)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("serving", extra={"url": f"http://{host}:{port}", "workers": workers})
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def run_workers_forever(settings: Settings) -> None:
    """Run the background workers alone (``postal serve --no-workers`` elsewhere)."""
    logs.configure(settings.log_level)
    pool = await create_pool(await _prepare(settings), settings)
    try:
        await asyncio.gather(outbox.run(pool, HANDLERS), overdue.run(pool, Clock(settings)))
    finally:
        await pool.close()
