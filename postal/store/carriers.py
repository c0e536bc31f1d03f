"""Carrier bindings, orders pushed to operators, their status reports and the polling cursor (SQL only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from postal.errors import Conflict, NotFound

REPORTS_UNIQUE = "carrier_reports_unique"
APPLY_LOCK = "postal.carrier.apply"  # one process applies reports at a time: they go in time order


async def set_post_office_carrier(con: asyncpg.Connection, code: str, carrier: str | None) -> None:
    """Bind a post office to a carrier (None: couriers scan with this service)."""
    done = await con.fetchval("UPDATE post_offices SET carrier = $2 WHERE code = $1 RETURNING code", code, carrier)
    if done is None:
        raise NotFound(f"Không có bưu cục mã {code}.")


async def ensure_carrier_user(con: asyncpg.Connection, carrier: str, office: str) -> int:
    """The disabled courier account that stands for ``carrier`` at ``office`` in timelines (no sign-in, no token)."""
    username = f"{carrier}.{office.lower()}"
    await con.execute(
        "INSERT INTO users (username, role, post_office_code, disabled) VALUES ($1, 'courier', $2, true)"
        " ON CONFLICT (username) DO NOTHING", username, office,
    )
    row = await con.fetchrow("SELECT id, role, post_office_code, disabled FROM users WHERE username = $1", username)
    assert row is not None
    if row["role"] != "courier" or row["post_office_code"] != office or not row["disabled"]:
        raise Conflict(f"Tên người dùng {username} đã được dùng cho tài khoản khác; không gắn được hãng vận chuyển.")
    return int(row["id"])


async def order_of_shipment(con: asyncpg.Connection, shipment_id: int) -> asyncpg.Record | None:
    """The carrier order of a shipment, if it has one."""
    return await con.fetchrow("SELECT * FROM carrier_orders WHERE shipment_id = $1 ORDER BY id LIMIT 1", shipment_id)


async def lock_order(con: asyncpg.Connection, carrier: str, shipment_id: int, tracking_code: str) -> asyncpg.Record:
    """The order row (made now if missing), locked: it exists before any push, so a retry finds it."""
    await con.execute(
        "INSERT INTO carrier_orders (carrier, shipment_id, tracking_code) VALUES ($1, $2, $3)"
        " ON CONFLICT (carrier, tracking_code) DO NOTHING", carrier, shipment_id, tracking_code,
    )
    row = await con.fetchrow(
        "SELECT * FROM carrier_orders WHERE carrier = $1 AND tracking_code = $2 FOR UPDATE", carrier, tracking_code
    )
    assert row is not None
    return row


async def push_data(con: asyncpg.Connection, shipment_id: int) -> asyncpg.Record:
    """What an order carries: the shipment with its agency (never read: the ID number)."""
    row = await con.fetchrow(
        "SELECT s.tracking_code, s.direction, s.status, s.citizen_name, s.citizen_phone, s.address_line,"
        " s.ward_code, s.province_code, s.cod_amount, s.dossier_code, s.procedure_name, s.note,"
        " a.name AS agency_name, a.address_line AS agency_address, a.ward_code AS agency_ward,"
        " a.province_code AS agency_province"
        " FROM shipments s JOIN agencies a ON a.code = s.agency_code WHERE s.id = $1", shipment_id,
    )
    assert row is not None
    return row


async def mark_pushed(con: asyncpg.Connection, order_pk: int, order_id: str, status: int | None,
                      fee: int | None) -> None:
    await con.execute(
        "UPDATE carrier_orders SET order_id = $2, status_code = COALESCE(status_code, $3), total_fee = $4,"
        " pushed_at = now(), updated_at = now() WHERE id = $1", order_pk, order_id, status, fee,
    )


async def set_cancel_state(con: asyncpg.Connection, order_pk: int, state: str) -> None:
    await con.execute("UPDATE carrier_orders SET cancel_state = $2, updated_at = now() WHERE id = $1", order_pk, state)


@dataclass(frozen=True)
class NewReport:
    """A status report to keep (deduplicated by carrier, order, status and time)."""

    carrier: str
    order_id: str
    status_code: int
    occurred_at: datetime
    sale_order_code: str | None
    note: str
    source: str


async def insert_report(con: asyncpg.Connection, r: NewReport) -> bool:
    """Keep a report; False when it was already kept (a duplicate push or poll)."""
    new_id = await con.fetchval(
        "INSERT INTO carrier_reports (carrier, order_id, status_code, occurred_at, sale_order_code, note, source)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ON CONSTRAINT carrier_reports_unique DO NOTHING"
        " RETURNING id", r.carrier, r.order_id, r.status_code, r.occurred_at, r.sale_order_code, r.note, r.source,
    )
    return new_id is not None


async def try_apply_lock(con: asyncpg.Connection) -> bool:
    """True when this connection may apply reports now (session lock: release it with :func:`release_apply_lock`)."""
    return bool(await con.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", APPLY_LOCK))


async def release_apply_lock(con: asyncpg.Connection) -> None:
    await con.execute("SELECT pg_advisory_unlock(hashtext($1))", APPLY_LOCK)


async def pending_reports(con: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Unprocessed reports, oldest report time first (the order they are applied in)."""
    return await con.fetch(
        "SELECT * FROM carrier_reports WHERE processed_at IS NULL ORDER BY occurred_at, id LIMIT $1", limit,
    )


async def order_for_report(con: asyncpg.Connection, carrier: str, order_id: str,
                           sale_order_code: str | None) -> asyncpg.Record | None:
    """The order (with its shipment's code, post office and status) a report is about."""
    return await con.fetchrow(
        "SELECT o.*, s.post_office_code, s.status AS shipment_status, s.id AS sid FROM carrier_orders o"
        " JOIN shipments s ON s.id = o.shipment_id WHERE o.carrier = $1"
        " AND (o.order_id = $2 OR ($3::text IS NOT NULL AND o.tracking_code = $3 AND o.order_id IS NULL))"
        " ORDER BY o.order_id IS NULL LIMIT 1", carrier, order_id, sale_order_code,
    )


async def note_status(con: asyncpg.Connection, order_pk: int, code: int, at: datetime) -> None:
    """The operator's newest status of the order (a report older than the newest one changes nothing)."""
    await con.execute(
        "UPDATE carrier_orders SET status_code = $2, status_at = $3, updated_at = now()"
        " WHERE id = $1 AND (status_at IS NULL OR status_at <= $3)", order_pk, code, at,
    )


async def mark_report(con: asyncpg.Connection, report_id: int, outcome: str, event_id: int | None) -> None:
    await con.execute("UPDATE carrier_reports SET processed_at = now(), outcome = $2, event_id = $3 WHERE id = $1",
                      report_id, outcome, event_id)


async def cursor(con: asyncpg.Connection, carrier: str) -> int:
    """Where polling stopped last time."""
    return int(await con.fetchval("SELECT last_id FROM carrier_cursors WHERE carrier = $1", carrier) or 0)


async def save_cursor(con: asyncpg.Connection, carrier: str, last_id: int) -> None:
    await con.execute(
        "INSERT INTO carrier_cursors (carrier, last_id, polled_at) VALUES ($1, $2, now()) ON CONFLICT (carrier)"
        " DO UPDATE SET last_id = GREATEST(carrier_cursors.last_id, $2), polled_at = now()", carrier, last_id,
    )
