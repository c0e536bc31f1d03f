"""Reads for public tracking: only the columns a citizen's view may be built from.

The full phone number is never read here (only its last 4 digits, to check
``phone4``); ID numbers, street lines, actors, proofs and geo points are not
selected at all, so they cannot leak into a public answer by mistake.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import asyncpg

from postal.store.tracking_rate import window_start_sql

_PUBLIC = "s.id, s.tracking_code, s.direction, s.status, s.due_date, s.created_at, s.completed_at"
# The timeline, oldest first (device time, then arrival), read with the shipment: one round trip, not two.
# Each entry is an anonymous record, decoded by asyncpg as a tuple in :class:`PublicEvent`'s field order.
_EVENTS = (
    "ARRAY(SELECT ROW(e.event, e.occurred_at, e.to_status, e.applied, p.name)"
    " FROM shipment_events e LEFT JOIN post_offices p ON p.code = e.post_office_code"
    " WHERE e.shipment_id = s.id ORDER BY e.occurred_at, e.id) AS events"
)
# What proofs are checked against and a proven answer shows.
_PROOF = "s.citizen_name, right(s.citizen_phone, 4) AS phone_last4, s.ward_code, s.province_code"
# The client's misses in the current window (NULL: none) by the database clock, read with the shipment.
_MISSES = (f"(SELECT h.hits FROM track_rate_hits h WHERE h.client_hash = $3"  # noqa: S608 - constant SQL
           f" AND h.window_start = {window_start_sql('$2')}) AS misses")
_FROM = " FROM shipments s WHERE s.tracking_code = $1"
_SHIPMENT = f"SELECT {_PUBLIC}, {_EVENTS}, {_MISSES}{_FROM}"
_SHIPMENT_WITH_PROOF = f"SELECT {_PUBLIC}, {_EVENTS}, {_PROOF}, {_MISSES}{_FROM}"
_SHIPMENT_ONLY = f"SELECT {_PUBLIC}, {_EVENTS}, {_PROOF}{_FROM}"


class PublicEvent(NamedTuple):
    """One timeline entry as a citizen may see it: no actor, no details, no geo point."""

    event: str
    occurred_at: datetime
    to_status: str | None
    applied: bool
    post_office_name: str | None


def timeline(row: asyncpg.Record) -> list[PublicEvent]:
    """The shipment's timeline read with it (``row["events"]``), oldest first."""
    return [PublicEvent._make(e) for e in row["events"]]


async def public_shipment(con: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    """The shipment's public columns, its ``events`` and what proofs are checked against, or None
    (no throttle read)."""
    return await con.fetchrow(_SHIPMENT_ONLY, code)


async def public_shipment_for(con: asyncpg.Connection, code: str, client_hash: bytes, window_seconds: int,
                              *, proof: bool) -> asyncpg.Record | None:
    """The shipment's public columns and ``events``, with the client's ``misses`` in the current window
    (NULL: none), or None when there is no such code: one round trip, no write. ``proof``: also what
    proofs are checked against and a proven answer shows (the name, the phone's last 4 digits, ward and
    province codes)."""
    return await con.fetchrow(_SHIPMENT_WITH_PROOF if proof else _SHIPMENT, code, float(window_seconds), client_hash)
