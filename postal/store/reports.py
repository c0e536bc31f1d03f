"""SQL of the SLA report (SPEC §6): counts, on-time and hours per agency and direction, by week, the late list.

Every query takes the period as two local dates (inclusive) and the time zone name; a shipment belongs
to the period of its creation, i.e. ``created_at`` from local midnight of ``first`` to local midnight
after ``last``. The handover time is the applied ``delivered`` event's ``occurred_at`` (device time,
the moment the citizen or the agency got it), falling back to ``completed_at`` when a shipment was
marked delivered without such an event. On time means handed over on or before the ORIGINAL due date
(``original_due_date``, else ``due_date``), counted in local days.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from postal.domain.lifecycle import Status
from postal.store.shipments import open_overdue_sql

STATUSES = tuple(s.value for s in Status)  # in lifecycle order: the report's columns

# $1 first day, $2 last day, $3 time zone, $4 agency code or NULL.
_BASE = """
SELECT s.id, s.tracking_code, s.dossier_code, s.agency_code, s.direction, s.status, s.failed_attempts,
       s.created_at, s.due_date, s.original_due_date, COALESCE(s.original_due_date, s.due_date) AS promised,
       s.cod_amount,
       COALESCE(h.occurred_at, s.completed_at) AS handed_at
FROM shipments s
LEFT JOIN LATERAL (
    SELECT e.occurred_at FROM shipment_events e
    WHERE s.status = 'delivered' AND e.shipment_id = s.id AND e.event = 'delivered' AND e.applied
    ORDER BY e.occurred_at DESC LIMIT 1
) h ON s.status = 'delivered'
WHERE s.created_at >= ($1::date)::timestamp AT TIME ZONE $3::text
  AND s.created_at < ($2::date + 1)::timestamp AT TIME ZONE $3::text
  AND ($4::text IS NULL OR s.agency_code = $4::text)
"""

_HANDED_DAY = "(b.handed_at AT TIME ZONE $3::text)::date"
_ON_TIME = f"b.status = 'delivered' AND {_HANDED_DAY} <= b.promised"
_LATE = f"b.status = 'delivered' AND {_HANDED_DAY} > b.promised"
_HOURS = "extract(epoch FROM b.handed_at - b.created_at) / 3600.0"

# with_amount / paid_online: the online payment share (SPEC §12), of shipments with an amount to pay.
_ROWS_SQL = (
    "WITH b AS (" + _BASE + ")"  # noqa: S608 - constant SQL fragments, values are parameters
    " SELECT b.agency_code, b.direction, count(*) AS total, "
    + ", ".join(f"count(*) FILTER (WHERE b.status = '{st}') AS \"st_{st}\"" for st in STATUSES)
    + f", count(*) FILTER (WHERE {_ON_TIME}) AS on_time, count(*) FILTER (WHERE {_LATE}) AS late,"  # noqa: S608
    f" percentile_cont(0.5) WITHIN GROUP (ORDER BY {_HOURS}) FILTER (WHERE b.status = 'delivered') AS median_hours,"
    f" percentile_cont(0.95) WITHIN GROUP (ORDER BY {_HOURS}) FILTER (WHERE b.status = 'delivered') AS p95_hours,"
    " coalesce(sum(b.failed_attempts), 0) AS failed_attempts,"
    " count(*) FILTER (WHERE b.cod_amount > 0 AND b.status <> 'cancelled') AS with_amount,"
    " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM payments p WHERE p.shipment_id = b.id)) AS paid_online"
    " FROM b GROUP BY b.agency_code, b.direction ORDER BY b.agency_code, b.direction"
)

_WEEKS_SQL = (
    "WITH b AS (" + _BASE + ")"  # noqa: S608 - constant SQL fragments, values are parameters
    " SELECT date_trunc('week', b.created_at AT TIME ZONE $3::text)::date AS week,"
    f" count(*) FILTER (WHERE {_ON_TIME}) AS on_time,"
    " count(*) FILTER (WHERE b.status = 'delivered') AS delivered"
    " FROM b GROUP BY 1 ORDER BY 1"
)

# $5 today (local): late = open past its due date, delivered after the promised day, or rescheduled.
_LATE_SQL = (
    "WITH b AS (" + _BASE + ")"  # noqa: S608 - constant SQL fragments, values are parameters
    " SELECT b.* FROM b"
    f" WHERE {open_overdue_sql('$5', 'b')} OR ({_LATE}) OR b.original_due_date IS NOT NULL"
    " ORDER BY b.promised, b.id LIMIT $6"
)


def _args(first: date, last: date, tz: str, agency: str | None) -> list[Any]:
    return [first, last, tz, agency]


async def sla_rows(
    con: asyncpg.Connection, first: date, last: date, tz: str, agency: str | None
) -> list[asyncpg.Record]:
    """One row per agency and direction with at least one shipment created in the period."""
    return await con.fetch(_ROWS_SQL, *_args(first, last, tz, agency))


async def weekly(
    con: asyncpg.Connection, first: date, last: date, tz: str, agency: str | None
) -> list[asyncpg.Record]:
    """Per local week (Monday) of creation: on-time handovers and handovers."""
    return await con.fetch(_WEEKS_SQL, *_args(first, last, tz, agency))


async def late_list(
    con: asyncpg.Connection, first: date, last: date, tz: str, agency: str | None, today: date, limit: int
) -> list[asyncpg.Record]:
    """Late shipments created in the period (open past due, delivered late, or rescheduled), oldest promise first."""
    return await con.fetch(_LATE_SQL, *_args(first, last, tz, agency), today, limit)


async def agency_exists(con: asyncpg.Connection, code: str) -> bool:
    return bool(await con.fetchval("SELECT EXISTS (SELECT 1 FROM agencies WHERE code = $1)", code))


async def agencies(con: asyncpg.Connection) -> list[asyncpg.Record]:
    return await con.fetch("SELECT code, name FROM agencies ORDER BY code")
