"""Running the service: ``postal serve`` (web + in-process workers) and ``postal worker``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from aiohttp import web
from prometheus_client import Gauge

from postal import logs
from postal.app import create_app
from postal.edge.keys import pool_key, registry_key, settings_key
from postal.services.setup import prepare_database
from postal.services.views import Clock
from postal.settings import Settings
from postal.store.database import connect, create_pool, resolve_dsn
from postal.workers import HANDLERS, carriers, notify, outbox, overdue, retention, webhooks, zalo

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
             asyncio.create_task(carriers.run(app[pool_key], app[settings_key])),
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
        tasks = [asyncio.create_task(notify.run(app[pool_key], app[settings_key], session)),
                 asyncio.create_task(zalo.run(app[pool_key], app[settings_key], session))]
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def serve(settings: Settings, host: str, port: int, *, workers: bool = True, processes: int = 1) -> None:
    """Migrate, then serve the pages and the API until interrupted (``processes`` > 1: see :mod:`postal.multi`)."""
    logs.configure(settings.log_level, buffered=settings.log_buffered)
    settings = settings.listening_on(host, port)
    dsn = await _prepare(settings)
    if processes > 1:
        from postal.multi import serve_processes

        await serve_processes(settings, dsn, host, port, processes=processes, workers=workers)
        return
    await serve_prepared(settings, dsn, host, port, workers=workers)


async def serve_prepared(settings: Settings, dsn: str, host: str, port: int, *, workers: bool,
                         reuse_port: bool = False, index: int = 0) -> None:
    """Serve on a migrated database until interrupted; ``reuse_port`` lets sibling processes share the port."""
    app = await create_app(settings, dsn=dsn)
    Gauge("postal_serve_process", "This serving process (pid, index among --processes)", ["pid", "index"],
          registry=app[registry_key]).labels(str(os.getpid()), str(index)).set(1)
    if workers:
        app.cleanup_ctx.append(_workers_ctx)
        app.cleanup_ctx.append(_notify_ctx)
    runner = web.AppRunner(app, access_log=None, **handler_args(settings))
    await runner.setup()
    # What start-up built (fonts, templates, schemas, the pool) lives as long as the process: moved out of
    # the collector's reach, a full collection no longer walks it while requests wait (issue 16).
    gc.collect()
    gc.freeze()
    await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
    log.info("serving", extra={"url": f"http://{host}:{port}", "public_url": settings.public_url,
                               "workers": workers, "pid": os.getpid(), "index": index})
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def _until_stopped(work: Awaitable[object]) -> None:
    """Run ``work`` until SIGTERM or SIGINT, then cancel it: a supervisor's stop is a clean exit (code 0)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    task = asyncio.ensure_future(work)
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        stopping.cancel()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if stop.is_set():
        log.info("worker stopped")


async def run_workers_forever(settings: Settings) -> None:
    """Run the background workers alone (``postal serve --no-workers`` elsewhere) until SIGTERM/SIGINT."""
    logs.configure(settings.log_level, buffered=settings.log_buffered)
    pool = await create_pool(await _prepare(settings), settings)
    try:
        async with notify.client_session(settings) as session:
            await _until_stopped(asyncio.gather(
                outbox.run(pool, HANDLERS), notify.run(pool, settings, session),
                webhooks.run(pool, settings), overdue.run(pool, Clock(settings)),
                zalo.run(pool, settings, session), carriers.run(pool, settings),
                retention.run(pool, Clock(settings))))
    finally:
        await pool.close()
