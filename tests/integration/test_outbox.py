"""The outbox dispatcher: rows shared by concurrent workers with SKIP LOCKED, each handled once per success."""

from __future__ import annotations

import asyncio
import collections
import json
from pathlib import Path

import asyncpg

from postal.store.database import create_pool
from postal.workers.outbox import dispatch_once

MIGRATION_023 = (Path(__file__).resolve().parents[2] / "db" / "migrations"
                 / "023_change_records_processed.sql").read_text()


async def add_rows(db: asyncpg.Connection, n: int, topic: str = "test.topic") -> None:
    await db.executemany("INSERT INTO outbox (topic, payload) VALUES ($1, $2)",
                         [(topic, json.dumps({"n": i})) for i in range(n)])


async def test_two_workers_handle_every_row_exactly_once(db, dsn, settings):
    await add_rows(db, 120)
    seen: collections.Counter[int] = collections.Counter()

    async def handler(con: asyncpg.Connection, payload: dict) -> None:
        seen[payload["n"]] += 1
        await asyncio.sleep(0.001)

    pools = [await create_pool(dsn, settings) for _ in range(2)]
    try:
        async def drain(pool: asyncpg.Pool) -> None:
            while await dispatch_once(pool, {"test.topic": handler}, batch=10):
                pass

        await asyncio.gather(*(drain(p) for p in pools))
    finally:
        for pool in pools:
            await pool.close()
    assert seen == collections.Counter(range(120))
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE processed_at IS NULL") == 0


async def test_a_failing_handler_is_retried_later_and_others_proceed(db, dsn, settings):
    await add_rows(db, 3)

    async def handler(con: asyncpg.Connection, payload: dict) -> None:
        if payload["n"] == 1:
            raise RuntimeError("target down")

    pool = await create_pool(dsn, settings)
    try:
        assert await dispatch_once(pool, {"test.topic": handler}) == 3
        assert await dispatch_once(pool, {"test.topic": handler}) == 0  # the failed row waits for its backoff
    finally:
        await pool.close()
    row = await db.fetchrow("SELECT attempts, last_error, available_at > now() AS later FROM outbox"
                            " WHERE processed_at IS NULL")
    assert (row["attempts"], row["last_error"], row["later"]) == (1, "RuntimeError", True)


async def test_topics_without_a_handler_stay_pending(db, dsn, settings):
    await add_rows(db, 2, topic="nobody.listens")
    pool = await create_pool(dsn, settings)
    try:
        assert await dispatch_once(pool, {"test.topic": lambda con, p: asyncio.sleep(0)}) == 0
    finally:
        await pool.close()
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE processed_at IS NULL") == 2


async def test_migration_023_marks_only_old_change_records_processed(db):
    """The migration's UPDATE on rows written before it (no trigger yet): change records become processed,
    work rows stay pending; and from now on the trigger stores new change records processed."""
    update = MIGRATION_023[MIGRATION_023.index("UPDATE outbox"):]
    topics = ["shipment.created", "shipment.status_changed", "shipment.verification_reset", "webhook.fanout",
              "notification.otp", "nobody.listens"]
    async with db.transaction():
        await db.execute("SET LOCAL session_replication_role = replica")  # as before 023: no trigger runs
        await db.executemany("INSERT INTO outbox (topic, payload) VALUES ($1, '{}')", [(t,) for t in topics])
    records_only = {t: t.startswith("shipment.") for t in topics}

    async def processed() -> dict[str, bool]:
        return {r["topic"]: r["done"] for r in await db.fetch(
            "SELECT topic, processed_at IS NOT NULL AS done FROM outbox")}

    await db.execute(update)
    assert await processed() == records_only
    await db.execute("DELETE FROM outbox")
    await db.executemany("INSERT INTO outbox (topic, payload) VALUES ($1, '{}')", [(t,) for t in topics])
    assert await processed() == records_only
