"""The overdue watcher: every minute, a ``late`` notice for each shipment that became overdue.

Safe on any number of processes (the notice table's primary key decides); runs in ``postal serve``
(unless ``--no-workers``) and in ``postal worker``.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from postal.services.overdue import notify_all_overdue
from postal.services.views import Clock

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 60.0


async def run(pool: asyncpg.Pool, clock: Clock, interval: float = INTERVAL_SECONDS) -> None:
    """Look for newly overdue shipments until cancelled; a database hiccup waits for the next round."""
    while True:
        try:
            emitted = await notify_all_overdue(pool, clock)
            if emitted:
                log.info("overdue notices emitted", extra={"count": emitted})
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("overdue check failed", extra={"error": type(exc).__name__})
        await asyncio.sleep(interval)
