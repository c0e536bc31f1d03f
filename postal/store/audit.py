"""The access log (SPEC §13): one multi-row INSERT per request, the list for admins and agency staff,
the CSV export's rows, and the one sanctioned delete (``purge_access_log``, see migration 018)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


async def record(con: asyncpg.Connection, user_id: int | None, role: str, action: str,
                 shipment_ids: list[int], subject: str = "") -> None:
    """One access record per shipment, in a single statement (never a round trip per row)."""
    await con.execute(
        "INSERT INTO access_log (user_id, role, action, shipment_id, subject)"
        " SELECT $1, $2, $3, unnest($4::bigint[]), $5",
        user_id, role, action, shipment_ids, subject,
    )


async def record_subject(con: asyncpg.Connection, user_id: int | None, role: str, action: str, subject: str) -> None:
    """An access that matched no shipment (a data-subject request for a phone with nothing held)."""
    await con.execute(
        "INSERT INTO access_log (user_id, role, action, subject) VALUES ($1, $2, $3, $4)",
        user_id, role, action, subject,
    )


@dataclass(frozen=True)
class AuditFilter:
    """Filters of ``GET /audit`` and the CSV export; ``agency_code`` keeps staff to their agency."""

    since: datetime | None = None
    until: datetime | None = None
    tracking_code: str | None = None
    username: str | None = None
    agency_code: str | None = None
    before_id: int | None = None
    limit: int | None = 100


_SELECT = (
    "SELECT l.id, l.at, l.role, l.action, l.subject, u.username, s.tracking_code, s.agency_code"
    " FROM access_log l LEFT JOIN users u ON u.id = l.user_id LEFT JOIN shipments s ON s.id = l.shipment_id"
)


def _where(f: AuditFilter, args: list[Any]) -> str:
    def param(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    sql = " WHERE true"
    if f.since is not None:
        sql += f" AND l.at >= {param(f.since)}"
    if f.until is not None:
        sql += f" AND l.at < {param(f.until)}"
    if f.tracking_code is not None:
        sql += f" AND l.shipment_id = (SELECT id FROM shipments WHERE tracking_code = {param(f.tracking_code)})"  # noqa: S608
    if f.username is not None:
        sql += f" AND l.user_id = (SELECT id FROM users WHERE username = {param(f.username)})"  # noqa: S608
    if f.agency_code is not None:
        sql += f" AND s.agency_code = {param(f.agency_code)}"
    if f.before_id is not None:
        sql += f" AND l.id < {param(f.before_id)}"
    return sql


async def list_records(con: asyncpg.Connection, f: AuditFilter) -> list[asyncpg.Record]:
    """Newest first, keyset on id; with a limit, one row more tells whether a next page exists."""
    args: list[Any] = []
    sql = _SELECT + _where(f, args) + " ORDER BY l.id DESC"
    if f.limit is not None:
        args.append(f.limit + 1)
        sql += f" LIMIT ${len(args)}"
    return await con.fetch(sql, *args)


async def purge_older(con: asyncpg.Connection, before: datetime, max_rows: int) -> int:
    """Delete up to ``max_rows`` records older than ``before``; the only delete the trigger allows."""
    return int(await con.fetchval("SELECT purge_access_log($1, $2)", before, max_rows))
