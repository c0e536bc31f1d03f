"""The ``holidays`` table: days off and official make-up working days of the working-day calendar."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import asyncpg


async def insert_missing(con: asyncpg.Connection, rows: Iterable[tuple[date, str, str]]) -> None:
    """Insert ``(day, name, kind)`` rows; a day already there is kept as it is (admins may have fixed it)."""
    await con.executemany(
        "INSERT INTO holidays (day, name, kind) VALUES ($1, $2, $3) ON CONFLICT (day) DO NOTHING", list(rows)
    )


async def between(con: asyncpg.Connection, first: date, last: date) -> list[asyncpg.Record]:
    """Every entry from ``first`` to ``last`` (both included), in day order."""
    return await con.fetch("SELECT * FROM holidays WHERE day BETWEEN $1 AND $2 ORDER BY day", first, last)


async def upsert_by_admin(con: asyncpg.Connection, day: date, name: str, kind: str) -> asyncpg.Record:
    """Add or overwrite one day as an admin's entry; returns the row."""
    row = await con.fetchrow(
        "INSERT INTO holidays (day, name, kind, source) VALUES ($1, $2, $3, 'admin')"
        " ON CONFLICT (day) DO UPDATE SET name = $2, kind = $3, source = 'admin' RETURNING *",
        day, name, kind,
    )
    assert row is not None
    return row


async def delete(con: asyncpg.Connection, day: date) -> bool:
    """Remove one day; False when it was not there."""
    return bool(await con.execute("DELETE FROM holidays WHERE day = $1", day) != "DELETE 0")
