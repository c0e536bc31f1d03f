"""Courier scans: the locked read and the one-statement write of the scan path, OTPs, attachments, lists.

The scan path costs two statements inside its transaction: :func:`lock_for_scan` (the shipment
row ``FOR UPDATE`` with what the rules need) and :func:`write_scan` (event, status and outbox row
in one CTE). Everything else here serves the slower paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from postal.errors import NotFound

CLIENT_EVENT_ID_UNIQUE = "shipment_events_client_event_id_key"
OPEN_STATUSES = ("created", "picked_up", "in_transit", "out_for_delivery", "delivery_failed")

_LOCK_SQL = (
    "SELECT s.id, s.tracking_code, s.direction, s.status, s.failed_attempts, s.verification_failures,"
    " s.citizen_id_number, s.otp_hash, s.otp_expires_at, s.agency_code, s.post_office_code,"
    " GREATEST(s.last_applied_at, (SELECT e.occurred_at FROM shipment_events e"
    "   WHERE e.shipment_id = s.id AND e.applied ORDER BY e.occurred_at DESC LIMIT 1)) AS newest_applied,"
    " (SELECT e.id FROM shipment_events e WHERE e.client_event_id = $3) AS known_event_id"
    " FROM shipments s WHERE s.tracking_code = $1 AND s.post_office_code = $2 FOR UPDATE OF s"
)

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


async def lock_for_scan(
    con: asyncpg.Connection, code: str, post_office_code: str, client_event_id: str
) -> asyncpg.Record:
    """The shipment row locked for update, with the newest applied time and any event already
    stored under ``client_event_id``; NotFound outside the courier's post office."""
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


async def reset_verification(con: asyncpg.Connection, shipment_id: int) -> None:
    """Unlock the handover after staff checked the situation."""
    await con.execute("UPDATE shipments SET verification_failures = 0 WHERE id = $1", shipment_id)


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
