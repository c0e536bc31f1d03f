"""The outbox dispatcher: rows claimed with FOR UPDATE SKIP LOCKED, so many processes share the work.

Each topic has one handler; a row is marked processed when its handler returns,
and retried with exponential backoff when it raises. Topics without a handler
stay pending until a later version handles them: nothing is dropped. The change records
(``shipment.created``, ``shipment.status_changed``, ``shipment.verification_reset``) are the exception:
their consumers are the twins queued beside them by triggers, so they are stored processed
(migration 023) and never sit in the queue this dispatcher reads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg

from postal.store import outbox as store

log = logging.getLogger(__name__)
OutboxHandler = Callable[[asyncpg.Connection, dict[str, Any]], Awaitable[None]]
MAX_BACKOFF_SECONDS = 3600


async def dispatch_once(pool: asyncpg.Pool, handlers: Mapping[str, OutboxHandler], batch: int = 50) -> int:
    """Handle up to ``batch`` due rows of the handled topics; returns how many were claimed."""
    async with pool.acquire() as con, con.transaction():
        rows = await store.claim_due(con, handlers, batch)
        for row in rows:
            await _handle(con, handlers[row["topic"]], row)
    return len(rows)


async def _handle(con: asyncpg.Connection, handler: OutboxHandler, row: asyncpg.Record) -> None:
    try:
        async with con.transaction():  # a savepoint: a failing handler leaves only its own row to retry
            await handler(con, row["payload"])
            await store.mark_processed(con, row["id"])
    except Exception as exc:
        delay = min(2 ** row["attempts"] * 5, MAX_BACKOFF_SECONDS)
        log.warning("outbox handler failed", extra={"outbox_id": row["id"], "topic": row["topic"],
                                                    "error": type(exc).__name__, "retry_in_s": delay})
        await store.retry_later(con, row["id"], type(exc).__name__, delay)


async def run(pool: asyncpg.Pool, handlers: Mapping[str, OutboxHandler], idle_seconds: float = 1.0) -> None:
    """Dispatch until cancelled, sleeping when there is nothing due."""
    while True:
        try:
            claimed = await dispatch_once(pool, handlers) if handlers else 0
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("outbox dispatch failed", extra={"error": type(exc).__name__})
            claimed = 0
        if not claimed:
            await asyncio.sleep(idle_seconds)
