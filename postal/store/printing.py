"""What the printed documents read: shipments with their agency's address, and the print log."""

from __future__ import annotations

from typing import Any

import asyncpg

from postal.domain.access import Scope
from postal.store.shipments import scope_sql

# A shipment row with what a slip prints about its agency and post office.
_SELECT = (
    "SELECT s.*, a.name AS agency_name, a.address_line AS agency_address_line,"
    " a.ward_code AS agency_ward_code, a.province_code AS agency_province_code,"
    " p.name AS post_office_name"
    " FROM shipments s JOIN agencies a ON a.code = s.agency_code"
    " JOIN post_offices p ON p.code = s.post_office_code"
)


async def printable(
    con: asyncpg.Connection, codes: list[str], scope: Scope, *, lock: bool = False
) -> dict[str, asyncpg.Record]:
    """tracking code → row for those of ``codes`` visible in ``scope`` (locked in id order when asked)."""
    args: list[Any] = [codes]
    where = scope_sql(scope, args)
    tail = " ORDER BY s.id FOR UPDATE OF s" if lock else ""
    rows = await con.fetch(f"{_SELECT} WHERE s.tracking_code = ANY($1::text[]){where}{tail}", *args)
    return {r["tracking_code"]: r for r in rows}


async def record_prints(con: asyncpg.Connection, shipment_ids: list[int], document: str, user_id: int,
                        fmt: str | None = None) -> None:
    """One print_log row per shipment in one round trip (``fmt``: the paper, for slips)."""
    await con.execute(
        "INSERT INTO print_log (shipment_id, document, user_id, format)"
        " SELECT unnest($1::bigint[]), $2, $3, $4",
        shipment_ids, document, user_id, fmt,
    )


async def prints_of(con: asyncpg.Connection, shipment_id: int) -> list[asyncpg.Record]:
    """The print history of a shipment, oldest first, with who printed."""
    return await con.fetch(
        "SELECT l.document, l.format, l.printed_at, u.username FROM print_log l"
        " LEFT JOIN users u ON u.id = l.user_id WHERE l.shipment_id = $1 ORDER BY l.printed_at, l.id",
        shipment_id,
    )
