"""Fixed-window miss counters per client, in PostgreSQL so every process shares them.

Only misses are written here (an unknown well-formed code, a wrong ``phone4``, a forged QR
signature): a hit on a valid code reveals nothing to a guesser and costs no write. The table is
UNLOGGED (migration 015): counters are worthless after a crash, so they need no WAL flush.

One atomic upsert per miss both counts and reads the window: concurrent misses from any number of
processes add up exactly (the row lock serialises the increments). The window is computed from
the database clock, so processes with skewed clocks agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


def window_start_sql(seconds: str) -> str:
    """SQL for the start of the current fixed window of ``seconds`` (a parameter such as ``$2``), by the
    database clock: the one definition of the window, for the upsert here and the read with a lookup."""
    return f"to_timestamp(floor(extract(epoch FROM now()) / {seconds}) * {seconds})"


_HIT = (
    "INSERT INTO track_rate_hits AS t (client_hash, window_start, hits)"  # noqa: S608 - constant SQL
    f" VALUES ($1, {window_start_sql('$2')}, $3)"
    " ON CONFLICT (client_hash, window_start) DO UPDATE SET hits = t.hits + EXCLUDED.hits"
    " RETURNING t.hits,"
    " greatest(1, ceil(extract(epoch FROM t.window_start) + $2 - extract(epoch FROM clock_timestamp())))::int"
    " AS retry_after"
)
_RETRY_AFTER = (
    "SELECT greatest(1, ceil(floor(extract(epoch FROM now()) / $1) * $1 + $1"
    " - extract(epoch FROM clock_timestamp())))::int"
)
_PURGE = "DELETE FROM track_rate_hits WHERE window_start < now() - make_interval(secs => $1)"


@dataclass(frozen=True)
class WindowCount:
    """Misses so far in the client's current window and the seconds until it ends."""

    hits: int
    retry_after: int


async def add_hits(con: asyncpg.Connection, client_hash: bytes, weight: int, window_seconds: int) -> WindowCount:
    """Add ``weight`` misses to the client's current window and return the new total."""
    row = await con.fetchrow(_HIT, client_hash, float(window_seconds), weight)
    assert row is not None
    return WindowCount(hits=row["hits"], retry_after=row["retry_after"])


async def retry_after(con: asyncpg.Connection, window_seconds: int) -> int:
    """Seconds until the current window ends (at least 1), by the database clock."""
    return int(await con.fetchval(_RETRY_AFTER, float(window_seconds)))


async def purge_old_windows(con: asyncpg.Connection, window_seconds: int) -> int:
    """Delete windows that ended; returns how many rows went."""
    status = await con.execute(_PURGE, float(window_seconds))
    return int(status.split()[-1])
