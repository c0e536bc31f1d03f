"""The ``outbox`` table as the dispatcher sees it: claim due rows, mark them done or due again later.

Rows are written by :func:`postal.store.shipments.add_outbox` in the transaction of the change they report.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg


async def claim_due(con: asyncpg.Connection, topics: Iterable[str], batch: int) -> list[asyncpg.Record]:
    """Up to ``batch`` unprocessed, due rows of ``topics``, locked for this transaction (``SKIP LOCKED``:
    rows another process holds are left to it)."""
    return await con.fetch(
        "SELECT id, topic, payload, attempts FROM outbox"
        " WHERE processed_at IS NULL AND available_at <= now() AND topic = ANY($1::text[])"
        " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
        list(topics), batch,
    )


async def mark_processed(con: asyncpg.Connection, outbox_id: int) -> None:
    """The row's handler succeeded."""
    await con.execute("UPDATE outbox SET processed_at = now(), attempts = attempts + 1 WHERE id = $1", outbox_id)


async def retry_later(con: asyncpg.Connection, outbox_id: int, error: str, delay_seconds: float) -> None:
    """The row's handler failed with ``error`` (a class name, never a message): due again after the delay."""
    await con.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
        " available_at = now() + make_interval(secs => $3) WHERE id = $1",
        outbox_id, error, float(delay_seconds),
    )
