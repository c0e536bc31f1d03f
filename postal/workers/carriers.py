"""Carrier sync in the workers: the outbox handlers that push orders and cancellations, and the
polling loop (the fallback when pushed reports are lost). Nothing here may crash the process: every
failure is logged and retried (outbox backoff for pushes, the next round for polling).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg

from postal.carriers.errors import CarrierError
from postal.carriers.vnpost.proxy import VNPostConfig, VNPostProxy
from postal.services import carriers as service
from postal.services.views import Clock
from postal.settings import Settings
from postal.workers import outbox
from postal.workers.outbox import OutboxHandler

log = logging.getLogger(__name__)


def vnpost_config(settings: Settings) -> VNPostConfig | None:
    """The VNPost account from the settings; None when no API URL is set (nothing is pushed or polled)."""
    if not settings.vnpost_api_url:
        return None
    return VNPostConfig(settings.vnpost_api_url, settings.vnpost_username, settings.vnpost_password,
                        settings.vnpost_customer_code, timeout=settings.vnpost_timeout_seconds)


def make_handlers(proxy: VNPostProxy) -> dict[str, OutboxHandler]:
    """Outbox topic → handler, bound to one proxy."""
    async def order(con: asyncpg.Connection, payload: dict[str, Any]) -> None:
        await service.push_order(con, proxy, payload)

    async def cancel(con: asyncpg.Connection, payload: dict[str, Any]) -> None:
        await service.push_cancel(con, proxy, payload)

    return {"carrier.order": order, "carrier.cancel": cancel}


async def poll_forever(pool: asyncpg.Pool, proxy: VNPostProxy, clock: Clock, interval: float) -> None:
    """Poll the operator's feed every ``interval`` seconds; also applies reports left pending."""
    while True:
        try:
            await service.poll_once(pool, proxy, clock)
            await service.apply_pending(pool, clock)
        except (CarrierError, OSError, asyncpg.PostgresError) as exc:
            log.warning("carrier poll failed", extra={"carrier": "vnpost", "error": type(exc).__name__})
        except Exception:  # a worker must outlive any one bad answer
            log.exception("carrier poll crashed; continuing", extra={"carrier": "vnpost"})
        await asyncio.sleep(interval)


async def _apply_forever(pool: asyncpg.Pool, clock: Clock, interval: float) -> None:
    while True:
        try:
            await service.apply_pending(pool, clock)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("carrier apply failed", extra={"error": type(exc).__name__})
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def proxy_session(settings: Settings) -> AsyncIterator[VNPostProxy | None]:
    """The proxy over its own HTTP session, open for the block; None when VNPost is not configured."""
    config = vnpost_config(settings)
    if config is None:
        yield None
        return
    async with aiohttp.ClientSession() as session:
        yield VNPostProxy(session, config)


async def run(pool: asyncpg.Pool, settings: Settings) -> None:
    """Push and poll until cancelled (does nothing but wait when VNPost is not configured)."""
    async with proxy_session(settings) as proxy:
        if proxy is None:  # pushed reports may still arrive: apply what a busy callback left pending
            await _apply_forever(pool, Clock(settings), settings.vnpost_poll_seconds)
            return
        await asyncio.gather(
            outbox.run(pool, make_handlers(proxy)),
            poll_forever(pool, proxy, Clock(settings), settings.vnpost_poll_seconds),
        )
