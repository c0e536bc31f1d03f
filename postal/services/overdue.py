"""Overdue as it happens (SPEC §6, §7): a ``late`` notice once per shipment and due date, on any number of workers.

"Overdue" is the one rule of :func:`postal.domain.deadlines.is_overdue` (open, and today's local date
after the due date; due dates already skip weekends and holidays), in SQL as
:func:`postal.store.shipments.open_overdue_sql`. Each newly overdue shipment gets an ``overdue_notices``
row (primary key: shipment, due date) and a ``notification.late`` outbox row in the same transaction,
so a notice is emitted exactly once whatever the number of processes. A reschedule sets a new due date;
when that one passes too, a second notice follows.
"""

from __future__ import annotations

import asyncpg

from postal.services.reschedule import LATE_TOPIC, late_payload
from postal.services.views import Clock
from postal.store import overdue as store
from postal.store import shipments as shipments_store

BATCH = 500


async def notify_overdue_once(pool: asyncpg.Pool, clock: Clock, batch: int = BATCH) -> int:
    """Emit ``late`` for up to ``batch`` newly overdue shipments; returns how many were emitted."""
    async with pool.acquire() as con, con.transaction():
        rows = await store.claim_new_overdue(con, clock.today(), batch)
        for row in rows:
            await shipments_store.add_outbox(con, LATE_TOPIC, row["id"], late_payload(row, row["due_date"], "overdue"))
    return len(rows)


async def notify_all_overdue(pool: asyncpg.Pool, clock: Clock, batch: int = BATCH) -> int:
    """Emit every pending notice, a batch per transaction."""
    total = 0
    while (n := await notify_overdue_once(pool, clock, batch)) > 0:
        total += n
    return total
