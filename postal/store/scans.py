"""Courier scans: the locked read and the one-statement write of the scan path, OTPs, attachments, lists.

Two ways to record a scan, both changing the status under the shipment's row lock:

- :func:`apply_direct`, one statement for the events whose outcome depends on the current status
  alone: it locks the row (``SELECT … FOR UPDATE`` in a CTE), moves the status only when the row is
  in one of the statuses the service says allow the event, the scan is not late and not dated
  before the shipment's creation, and writes
  the event and the outbox row in the same statement (so the same transaction). No row back means
  "decide the slow way".
- :func:`lock_for_scan` then :func:`write_scan` inside one transaction, for everything else (the
  handover checks, one-time codes, late scans, refusals, replays).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from postal.errors import NotFound
from postal.store.shipments import OPEN_STATUSES

CLIENT_EVENT_ID_UNIQUE = "shipment_events_client_event_id_key"

# Timeline notes (``rescheduled``) are staff entries at server time: they never make a scan "late".
_ROW_COLUMNS = (
    "s.id, s.tracking_code, s.direction, s.status, s.failed_attempts, s.verification_failures,"
    " s.citizen_id_number, s.otp_hash, s.otp_expires_at, s.agency_code, s.post_office_code,"
    " GREATEST(s.last_applied_at, (SELECT e.occurred_at FROM shipment_events e"
    "   WHERE e.shipment_id = s.id AND e.applied AND e.event <> 'rescheduled'"
    "   ORDER BY e.occurred_at DESC LIMIT 1)) AS newest_applied,"
    " (SELECT e.id FROM shipment_events e WHERE e.client_event_id = $3) AS known_event_id,"
    " s.created_at, (SELECT min(e.occurred_at) FROM shipment_events e"
    "   WHERE e.shipment_id = s.id AND e.applied AND e.event = 'picked_up') AS picked_up_at"
)
_FROM = " FROM shipments s WHERE s.tracking_code = $1 AND s.post_office_code = $2"
_LOCK_SQL = f"SELECT {_ROW_COLUMNS}{_FROM} FOR UPDATE OF s"

_WRITE_SQL = (
    "WITH ev AS ("
    " INSERT INTO shipment_events (shipment_id, event, occurred_at, actor_user_id, post_office_code,"
    "  from_status, to_status, applied, client_event_id, lat, lon, details)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *"
    "), upd AS ("
    " UPDATE shipments SET status = $7, failed_attempts = $13, updated_at = now(),"
    "  completed_at = CASE WHEN $14 THEN now() ELSE completed_at END,"
    "  last_applied_at = GREATEST(last_applied_at, $3)"
    " WHERE id = $1 AND $8 RETURNING id"
    "), ob AS ("
    " INSERT INTO outbox (topic, shipment_id, payload)"
    " SELECT 'shipment.status_changed', ev.shipment_id, $15::jsonb || jsonb_build_object('event_id', ev.id)"
    " FROM ev WHERE $8"
    ")"
    " SELECT ev.*, p.name AS post_office_name FROM ev LEFT JOIN post_offices p ON p.code = ev.post_office_code"
)

# One statement: lock, check, move the status, append the event and the outbox row.
_DIRECT_SQL = (
    "WITH cur AS ("
    " SELECT s.id, s.status, s.last_applied_at, s.created_at FROM shipments s"
    " WHERE s.tracking_code = $1 AND s.post_office_code = $2 FOR UPDATE"
    "), upd AS ("
    " UPDATE shipments s SET status = $3, failed_attempts = s.failed_attempts + $4, updated_at = now(),"
    "  completed_at = CASE WHEN $5 THEN now() ELSE s.completed_at END,"
    "  last_applied_at = GREATEST(s.last_applied_at, $6)"
    " FROM cur WHERE s.id = cur.id AND cur.status = ANY($7::text[]) AND cur.created_at <= $6"
    "  AND (cur.last_applied_at IS NULL OR cur.last_applied_at <= $6)"
    "  AND NOT EXISTS (SELECT 1 FROM shipment_events e"
    "   WHERE e.shipment_id = cur.id AND e.applied AND e.event <> 'rescheduled' AND e.occurred_at > $6)"
    " RETURNING s.id, s.tracking_code, s.direction, s.agency_code, s.post_office_code, s.failed_attempts,"
    "  cur.status AS from_status"
    "), ev AS ("
    " INSERT INTO shipment_events (shipment_id, event, occurred_at, actor_user_id, post_office_code,"
    "  from_status, to_status, applied, client_event_id, lat, lon, details)"
    " SELECT upd.id, $8, $6, $9, $10, upd.from_status, $3, true, $11, $12, $13, $14 FROM upd RETURNING *"
    "), ob AS ("
    " INSERT INTO outbox (topic, shipment_id, payload)"
    " SELECT 'shipment.status_changed', upd.id, $15::jsonb || jsonb_build_object("
    "  'tracking_code', upd.tracking_code, 'direction', upd.direction, 'agency_code', upd.agency_code,"
    "  'post_office_code', upd.post_office_code, 'previous_status', upd.from_status, 'event_id', ev.id)"
    " FROM upd, ev"
    ")"
    " SELECT ev.*, p.name AS post_office_name, upd.direction AS shipment_direction,"
    "  upd.failed_attempts AS shipment_failed_attempts"
    " FROM ev CROSS JOIN upd LEFT JOIN post_offices p ON p.code = ev.post_office_code"
)


async def lock_for_scan(
    con: asyncpg.Connection, code: str, post_office_code: str, client_event_id: str
) -> asyncpg.Record:
    """The shipment row locked for update, with the newest applied time, the applied pickup's time
    (``picked_up_at``), ``created_at`` and any event already stored under ``client_event_id``;
    NotFound outside the courier's post office."""
    row = await con.fetchrow(_LOCK_SQL, code, post_office_code, client_event_id)
    if row is None:
        raise NotFound(f"Không tìm thấy bưu gửi {code} ở bưu cục của bạn.")
    return row


@dataclass(frozen=True)
class ScanWrite:
    """One event to append, and (when ``applied``) the shipment's new state and outbox payload."""

    shipment_id: int
    event: str
    occurred_at: datetime
    actor_user_id: int
    post_office_code: str
    from_status: str
    to_status: str
    applied: bool
    client_event_id: str
    lat: float | None
    lon: float | None
    details: dict[str, Any]
    failed_attempts: int
    completed: bool
    outbox_payload: dict[str, Any]


async def write_scan(con: asyncpg.Connection, w: ScanWrite) -> asyncpg.Record:
    """Append the event, and when applied move the status and queue ``shipment.status_changed``: one statement.

    A replayed ``client_event_id`` raises ``asyncpg.UniqueViolationError`` (constraint
    :data:`CLIENT_EVENT_ID_UNIQUE`), which aborts the transaction: the caller reads the stored event back.
    """
    row = await con.fetchrow(
        _WRITE_SQL, w.shipment_id, w.event, w.occurred_at, w.actor_user_id, w.post_office_code, w.from_status,
        w.to_status, w.applied, w.client_event_id, w.lat, w.lon, w.details, w.failed_attempts, w.completed,
        w.outbox_payload,
    )
    assert row is not None
    return row


@dataclass(frozen=True)
class DirectWrite:
    """An event applied in one statement when the shipment's status is one of ``from_statuses``."""

    code: str
    post_office_code: str
    event: str
    to_status: str
    attempts_added: int
    completed: bool
    occurred_at: datetime
    from_statuses: list[str]
    actor_user_id: int
    client_event_id: str
    lat: float | None
    lon: float | None
    details: dict[str, Any]
    outbox_payload: dict[str, Any]


async def apply_direct(con: asyncpg.Connection, w: DirectWrite) -> asyncpg.Record | None:
    """The new event (with ``shipment_direction`` and ``shipment_failed_attempts``), or None when the
    shipment is not visible, not in one of ``from_statuses``, or has a newer applied event.

    A replayed ``client_event_id`` raises ``asyncpg.UniqueViolationError`` (nothing is written).
    """
    return await con.fetchrow(
        _DIRECT_SQL, w.code, w.post_office_code, w.to_status, w.attempts_added, w.completed, w.occurred_at,
        w.from_statuses, w.event, w.actor_user_id, w.post_office_code, w.client_event_id, w.lat, w.lon,
        w.details, w.outbox_payload,
    )


async def event_by_client_id(con: asyncpg.Connection, client_event_id: str) -> asyncpg.Record | None:
    """A stored event (with its post office's name and its shipment's code and status), or None."""
    return await con.fetchrow(
        "SELECT e.*, p.name AS post_office_name, s.tracking_code, s.status AS shipment_status,"
        " s.direction, s.failed_attempts, s.post_office_code AS shipment_post_office"
        " FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id"
        " LEFT JOIN post_offices p ON p.code = e.post_office_code WHERE e.client_event_id = $1",
        client_event_id,
    )


async def count_verification_failure(con: asyncpg.Connection, shipment_id: int) -> int:
    """One more wrong handover verification; returns the new count."""
    return int(await con.fetchval(
        "UPDATE shipments SET verification_failures = verification_failures + 1 WHERE id = $1"
        " RETURNING verification_failures",
        shipment_id,
    ))


async def set_otp(con: asyncpg.Connection, shipment_id: int, otp_hash: str, expires_at: datetime) -> None:
    """Replace the shipment's one-time code (only its hash is stored)."""
    await con.execute(
        "UPDATE shipments SET otp_hash = $2, otp_expires_at = $3 WHERE id = $1", shipment_id, otp_hash, expires_at
    )


async def clear_otp(con: asyncpg.Connection, shipment_id: int) -> None:
    """Forget the one-time code once the item is handed over."""
    await con.execute("UPDATE shipments SET otp_hash = NULL, otp_expires_at = NULL WHERE id = $1", shipment_id)


@dataclass(frozen=True)
class NewAttachment:
    """A checked image to keep with an event."""

    event_id: int
    kind: str
    media_type: str
    sha256: bytes
    data: bytes
    created_by: int


async def add_attachment(con: asyncpg.Connection, a: NewAttachment) -> tuple[asyncpg.Record, bool]:
    """Store the image unless this event already has one of this kind; returns (row, created)."""
    row = await con.fetchrow(
        "INSERT INTO scan_attachments (event_id, kind, media_type, size_bytes, sha256, data, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id, kind) DO NOTHING"
        " RETURNING id, event_id, kind, media_type, size_bytes, sha256, created_at",
        a.event_id, a.kind, a.media_type, len(a.data), a.sha256, a.data, a.created_by,
    )
    if row is not None:
        return row, True
    existing = await con.fetchrow(
        "SELECT id, event_id, kind, media_type, size_bytes, sha256, created_at FROM scan_attachments"
        " WHERE event_id = $1 AND kind = $2",
        a.event_id, a.kind,
    )
    assert existing is not None
    return existing, False


async def open_items(con: asyncpg.Connection, post_office_code: str, limit: int) -> list[asyncpg.Record]:
    """The open shipments of a post office, the most urgent first."""
    return await con.fetch(
        "SELECT s.id, s.tracking_code, s.direction, s.status, s.due_date, s.completed_at, s.failed_attempts,"
        " s.citizen_name, s.citizen_phone, s.address_line, s.ward_code, s.province_code, s.dossier_code,"
        " s.procedure_name, s.cod_amount, s.note"
        " FROM shipments s WHERE s.post_office_code = $1 AND s.status = ANY($2::text[])"
        " ORDER BY s.due_date, s.id LIMIT $3",
        post_office_code, list(OPEN_STATUSES), limit,
    )
