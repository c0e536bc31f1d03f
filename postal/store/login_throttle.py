"""Sign-in attempts per user name and per client address, in fixed windows kept in PostgreSQL.

Every process counts into the same rows, so throttling holds across any number of ``postal serve``
processes. An attempt is charged *before* its password is checked (one atomic upsert that also
reads the totals), so a burst of concurrent guesses cannot all slip under the limit; the charge
is refunded when the attempt is refused as throttled or succeeds. Windows follow the database clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

_CHARGE = (
    "INSERT INTO login_failures AS f (scope, key_hash, window_start, failures)"
    " SELECT scope, key_hash, to_timestamp(floor(extract(epoch FROM now()) / $3) * $3), 1"
    " FROM (VALUES ('user', $1::bytea), ('address', $2::bytea)) AS k (scope, key_hash)"
    " ON CONFLICT (scope, key_hash, window_start) DO UPDATE SET failures = f.failures + 1"
    " RETURNING f.scope, f.failures,"
    " greatest(1, ceil(extract(epoch FROM f.window_start) + $3 - extract(epoch FROM clock_timestamp())))::int"
    " AS retry_after"
)
_REFUND = (
    "UPDATE login_failures SET failures = greatest(failures - 1, 0)"
    " WHERE window_start = to_timestamp(floor(extract(epoch FROM now()) / $3) * $3)"
    " AND ((scope = 'user' AND key_hash = $1) OR (scope = 'address' AND key_hash = $2))"
)
_CLEAR_USER = (
    "DELETE FROM login_failures WHERE scope = 'user' AND key_hash = $1"
    " AND window_start = to_timestamp(floor(extract(epoch FROM now()) / $2) * $2)"
)
_PURGE = "DELETE FROM login_failures WHERE window_start < now() - make_interval(secs => $1)"


@dataclass(frozen=True)
class Failures:
    """Attempts counted so far in the current window (this one included), and the seconds until it ends."""

    user: int
    address: int
    retry_after: int


async def charge(con: asyncpg.Connection, user_key: bytes, address_key: bytes, window_seconds: int) -> Failures:
    """Count this attempt against the user name and the address; return both totals."""
    rows = await con.fetch(_CHARGE, user_key, address_key, float(window_seconds))
    counts = {r["scope"]: r["failures"] for r in rows}
    return Failures(counts["user"], counts["address"], max(r["retry_after"] for r in rows))


async def refund(con: asyncpg.Connection, user_key: bytes | None, address_key: bytes | None,
                 window_seconds: int) -> None:
    """Take back an attempt's charge from the user name and/or the address (None: leave that one)."""
    await con.execute(_REFUND, user_key, address_key, float(window_seconds))


async def clear_user(con: asyncpg.Connection, user_key: bytes, window_seconds: int) -> None:
    """Forget the user name's failures after a successful sign-in."""
    await con.execute(_CLEAR_USER, user_key, float(window_seconds))


async def purge(con: asyncpg.Connection, window_seconds: int) -> int:
    """Delete ended windows; returns how many rows went."""
    status = await con.execute(_PURGE, float(window_seconds))
    return int(status.split()[-1])
