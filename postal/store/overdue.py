"""Overdue notices: one per shipment and due date, claimed under a primary key (SPEC §7 ``late``)."""

from __future__ import annotations

from datetime import date

import asyncpg

from postal.store.shipments import open_overdue_sql

# Open shipments past their due date without a notice for that date (``overdue_notice_due``, kept on the
# row so that a round reads a small partial index, not every overdue shipment). Rows another worker holds
# are skipped (SKIP LOCKED), and the notices' primary key settles any race: a row is returned only to the
# worker whose INSERT created it.
_CLAIM_SQL = (
    "WITH due AS ("  # noqa: S608 - constant SQL fragments, values are parameters
    " SELECT s.id, s.due_date FROM shipments s"
    f" WHERE {open_overdue_sql('$1')} AND s.overdue_notice_due IS DISTINCT FROM s.due_date"
    " ORDER BY s.due_date, s.id LIMIT $2 FOR UPDATE OF s SKIP LOCKED"
    "), mark AS ("
    " UPDATE shipments s SET overdue_notice_due = due.due_date FROM due WHERE s.id = due.id"
    "), new AS ("
    " INSERT INTO overdue_notices (shipment_id, due_date) SELECT id, due_date FROM due"
    " ON CONFLICT (shipment_id, due_date) DO NOTHING RETURNING shipment_id, due_date"
    ")"
    " SELECT s.id, s.tracking_code, s.direction, s.agency_code, s.due_date, s.original_due_date"
    " FROM new JOIN shipments s ON s.id = new.shipment_id ORDER BY s.id"
)


async def claim_new_overdue(con: asyncpg.Connection, today: date, limit: int) -> list[asyncpg.Record]:
    """Record a notice for up to ``limit`` newly overdue shipments; returns the rows this call claimed."""
    return await con.fetch(_CLAIM_SQL, today, limit)
