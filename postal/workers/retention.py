"""The retention worker: purges personal data past ``POSTAL_RETENTION_DAYS`` and access records past
``POSTAL_AUDIT_RETENTION_DAYS``, one round at start and then every ``POSTAL_RETENTION_INTERVAL_SECONDS``.

Safe on any number of processes (``SKIP LOCKED`` batches); runs in ``postal serve`` (unless
``--no-workers``) and in ``postal worker``.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from postal.services import audit, retention
from postal.services.views import Clock

log = logging.getLogger(__name__)


async def run_once(pool: asyncpg.Pool, clock: Clock) -> tuple[int, int]:
    """One round: (shipments purged, access records deleted)."""
    settings = clock.settings
    purged = await retention.purge_due(pool, clock.now(), settings.retention_days)
    expired = await audit.purge_expired(pool, clock, settings.audit_retention_days)
    return purged, expired


async def run(pool: asyncpg.Pool, clock: Clock) -> None:
    """Purge until cancelled; a database hiccup waits for the next round."""
    while True:
        try:
            purged, expired = await run_once(pool, clock)
            if purged or expired:
                log.info("retention purge", extra={"shipments_purged": purged, "access_records_deleted": expired})
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("retention purge failed", extra={"error": type(exc).__name__})
        await asyncio.sleep(clock.settings.retention_interval_seconds)
