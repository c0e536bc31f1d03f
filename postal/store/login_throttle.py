"""Failed sign-ins per user name and per client address, in fixed windows kept in PostgreSQL.

Every process counts into the same rows (one atomic upsert per failure), so throttling holds
across any number of ``postal serve`` processes. Windows are computed from the database clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

_READ = (
    "SELECT scope, failures,"
    " greatest(1, ceil(extract(epoch FROM window_start) + $3 - extract(epoch FROM clock_timestamp())))::int"
    " AS retry_after FROM login_failures"
    " WHERE window_start = to_timestamp(floor(extract(epoch FROM now()) / $3) * $3)"
    " AND ((scope = 'user' AND key_hash = $1) OR (scope = 'address' AND key_hash = $2))"
)
_ADD = (
    "INSERT INTO login_failures AS f (scope, key_hash, window_start, failures)"
    " SELECT scope, key_hash, to_timestamp(floor(extract(epoch FROM now()) / $3) * $3), 1"
    " FROM (VALUES ('user', $1::bytea), ('address', $2::bytea)) AS k (scope, key_hash)"
    " ON CONFLICT (scope, key_hash, window_start) DO UPDATE SET failures = f.failures + 1"
)
_CLEAR_USER = (
    "DELETE FROM login_failures WHERE scope = 'user' AND key_hash = $1"
    " AND window_start = to_timestamp(floor(extract(epoch FROM now()) / $2) * $2)"
)
_PURGE = "DELETE FROM login_failures WHERE window_start < now() - make_interval(secs => $1)"


@dataclass(frozen=True)
class Failures:
    """Failures so far in the current window, and the seconds until it ends."""

    user: int
    address: int
    retry_after: int


async def current(con: asyncpg.Connection, user_key: bytes, address_key: bytes, window_seconds: int) -> Failures:
    """The failure counts of this user name and this address in the current window."""
    rows = await con.fetch(_READ, user_key, address_key, float(window_seconds))
    counts = {r["scope"]: r["failures"] for r in rows}
    retry = max((r["retry_after"] for r in rows), default=window_seconds)
    return Failures(counts.get("user", 0), counts.get("address", 0), retry)


async def add_failure(con: asyncpg.Connection, user_key: bytes, address_key: bytes, window_seconds: int) -> None:
    """Count one failure against both the user name and the address."""
    await con.execute(_ADD, user_key, address_key, float(window_seconds))


async def clear_user(con: asyncpg.Connection, user_key: bytes, window_seconds: int) -> None:
    """Forget the user name's failures after a successful sign-in (the address keeps its count)."""
    await con.execute(_CLEAR_USER, user_key, float(window_seconds))


async def purge(con: asyncpg.Connection, window_seconds: int) -> int:
    """Delete ended windows; returns how many rows went."""
    status = await con.execute(_PURGE, float(window_seconds))
    return int(status.split()[-1])
