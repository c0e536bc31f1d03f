"""Handover manifests (bảng kê giao nhận): immutable once written; a shipment is on one manifest at most."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from postal.domain.access import Scope
from postal.errors import Conflict, NotFound
from postal.store.shipments import scope_sql

# Advisory-lock class of the per-day manifest numbering (the second key is the day as yyyymmdd).
_NUMBERING_LOCK = 0x424B  # "BK"


@dataclass(frozen=True)
class NewManifest:
    """A manifest to write: its parties, author and shipments in order."""

    agency_code: str
    post_office_code: str
    created_by: int
    shipment_ids: list[int]


async def memberships(con: asyncpg.Connection, shipment_ids: list[int]) -> dict[int, str]:
    """shipment id → the live (not voided) manifest listing it, for those of ``shipment_ids`` on one."""
    rows = await con.fetch(
        "SELECT shipment_id, manifest_id FROM manifest_claims WHERE shipment_id = ANY($1::bigint[])", shipment_ids
    )
    return {r["shipment_id"]: r["manifest_id"] for r in rows}


async def _next_id(con: asyncpg.Connection, day: date) -> tuple[str, int]:
    """``BK-yyyymmdd-nnnn``: numbered per local day under a transaction-scoped advisory lock."""
    stamp = int(day.strftime("%Y%m%d"))
    await con.execute("SELECT pg_advisory_xact_lock($1, $2)", _NUMBERING_LOCK, stamp)
    seq = int(await con.fetchval("SELECT coalesce(max(day_seq), 0) + 1 FROM manifests WHERE day = $1", day))
    return f"BK-{stamp}-{seq:04d}", seq


async def insert_manifest(con: asyncpg.Connection, m: NewManifest, day: date) -> str:
    """Write the manifest and its items (in the caller's transaction); returns its id.

    The primary key of ``manifest_claims`` (a shipment on one live manifest at most, migration 016)
    settles a race the caller's checks lost.
    """
    manifest_id, seq = await _next_id(con, day)
    await con.execute(
        "INSERT INTO manifests (id, day, day_seq, agency_code, post_office_code, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        manifest_id, day, seq, m.agency_code, m.post_office_code, m.created_by,
    )
    try:
        await con.execute(
            "INSERT INTO manifest_items (manifest_id, position, shipment_id)"
            " SELECT $1, t.ord, t.id FROM unnest($2::bigint[]) WITH ORDINALITY AS t(id, ord)",
            manifest_id, m.shipment_ids,
        )
        await con.execute(
            "INSERT INTO manifest_claims (shipment_id, manifest_id) SELECT t.id, $1 FROM unnest($2::bigint[]) AS t(id)",
            manifest_id, m.shipment_ids,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict("Một số bưu gửi vừa được đưa vào bảng kê khác; hãy tải lại danh sách.") from None
    return manifest_id


_HEADER = (
    "SELECT m.*, a.name AS agency_name, p.name AS post_office_name, u.username AS created_by_username,"
    " v.reason AS void_reason, v.voided_at, vu.username AS voided_by_username,"
    " (SELECT count(*) FROM manifest_items i WHERE i.manifest_id = m.id) AS item_count"
    " FROM manifests m JOIN agencies a ON a.code = m.agency_code"
    " JOIN post_offices p ON p.code = m.post_office_code JOIN users u ON u.id = m.created_by"
    " LEFT JOIN manifest_voids v ON v.manifest_id = m.id LEFT JOIN users vu ON vu.id = v.voided_by"
)


async def get_manifest(con: asyncpg.Connection, manifest_id: str, scope: Scope) -> asyncpg.Record:
    """The manifest visible in ``scope`` (agency or post office), or NotFound."""
    args: list[Any] = [manifest_id]
    row = await con.fetchrow(f"{_HEADER} WHERE m.id = $1{scope_sql(scope, args, 'm')}", *args)
    if row is None:
        raise NotFound(f"Không tìm thấy bảng kê {manifest_id[:40]}.")
    return row


async def items_of(con: asyncpg.Connection, manifest_id: str) -> list[asyncpg.Record]:
    """The shipments of a manifest in their listed order."""
    return await con.fetch(
        "SELECT s.id, s.tracking_code, s.dossier_code, s.citizen_name, s.ward_code, s.status, s.direction,"
        " s.cod_amount, s.fee_payer, s.fee_exemption"
        " FROM manifest_items i JOIN shipments s ON s.id = i.shipment_id"
        " WHERE i.manifest_id = $1 ORDER BY i.position",
        manifest_id,
    )


async def list_manifests(con: asyncpg.Connection, scope: Scope, before: tuple[Any, str] | None,
                         limit: int) -> list[asyncpg.Record]:
    """Manifests visible in ``scope``, newest first (created_at, id), keyset after ``before``; limit + 1 rows."""
    args: list[Any] = []
    where = "WHERE true" + scope_sql(scope, args, "m")
    if before is not None:
        args.extend(before)
        where += f" AND (m.created_at, m.id) < (${len(args) - 1}, ${len(args)})"
    args.append(limit + 1)
    return await con.fetch(f"{_HEADER} {where} ORDER BY m.created_at DESC, m.id DESC LIMIT ${len(args)}", *args)


async def insert_void(con: asyncpg.Connection, manifest_id: str, reason: str, user_id: int) -> None:
    """Record the void (a new row; the manifest is untouched) and release its shipments' claims."""
    try:
        await con.execute("INSERT INTO manifest_voids (manifest_id, reason, voided_by) VALUES ($1, $2, $3)",
                          manifest_id, reason, user_id)
    except asyncpg.UniqueViolationError:
        raise Conflict(f"Bảng kê {manifest_id} đã huỷ trước đó.") from None
    await con.execute("DELETE FROM manifest_claims WHERE manifest_id = $1", manifest_id)
