"""The retention purge (SPEC §13): the personal fields of shipments terminal for longer than
``POSTAL_RETENTION_DAYS`` are erased (see :mod:`postal.domain.privacy` for what stays and what goes).

Safe on any number of processes: each batch claims its shipments with ``FOR UPDATE SKIP LOCKED`` and
marks them ``purged_at`` in the same transaction, so a shipment is purged once; running it again finds
nothing (idempotent). Used by the worker (:mod:`postal.workers.retention`), ``postal purge [--days N]``
and the early erasure of a data-subject request.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from postal.domain.privacy import kept_name, purge_cutoff
from postal.store import privacy as store

PURGE_BATCH = 200


async def erase_rows(con: asyncpg.Connection, rows: list[asyncpg.Record]) -> None:
    """Erase these locked shipments' personal data, in the caller's transaction."""
    if rows:
        await store.erase(con, [r["id"] for r in rows], [kept_name(r["citizen_name"]) for r in rows])


async def purge_batch(pool: asyncpg.Pool, cutoff: datetime, limit: int = PURGE_BATCH) -> int:
    """Purge up to ``limit`` due shipments in one transaction; returns how many."""
    async with pool.acquire() as con, con.transaction():
        rows = await store.claim_due(con, cutoff, limit)
        await erase_rows(con, rows)
    return len(rows)


async def purge_due(pool: asyncpg.Pool, now: datetime, days: int, batch: int = PURGE_BATCH) -> int:
    """Purge every shipment terminal for more than ``days`` days, batch after batch; returns how many."""
    cutoff = purge_cutoff(now, days)
    total = 0
    while True:
        n = await purge_batch(pool, cutoff, batch)
        total += n
        if n < batch:
            return total


async def purged_count(pool: asyncpg.Pool) -> int:
    """Shipments purged so far (all processes): the ``postal_shipments_purged`` gauge."""
    async with pool.acquire() as con:
        return await store.purged_count(con)
