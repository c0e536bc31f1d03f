"""Citizen notifications: one row per (shipment, kind, ref), claimed with SKIP LOCKED; the channel attempts.

A notification row is sent under its row lock (``claim_due`` inside the caller's transaction):
several processes never hold the same message at once, and the outcome is committed with the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg


@dataclass(frozen=True)
class NewNotification:
    """A message to queue; a second one with the same (shipment, kind, ref) is ignored."""

    shipment_id: int
    kind: str
    ref: str
    data: dict[str, Any]
    secret: str | None = None


async def add(con: asyncpg.Connection, n: NewNotification) -> bool:
    """Queue a message unless it was queued before; True when this call queued it."""
    status = await con.execute(
        "INSERT INTO notifications (shipment_id, kind, ref, data, secret) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (shipment_id, kind, ref) DO NOTHING",
        n.shipment_id, n.kind, n.ref, n.data, n.secret,
    )
    return bool(status.endswith(" 1"))


async def shipment_id_of(con: asyncpg.Connection, tracking_code: str) -> int | None:
    """The id of a shipment by tracking code (for outbox rows that carry only the code)."""
    value = await con.fetchval("SELECT id FROM shipments WHERE tracking_code = $1", tracking_code)
    return int(value) if value is not None else None


async def forget_outbox_code(con: asyncpg.Connection, shipment_id: int, code: str) -> None:
    """Drop the clear one-time code from its outbox row once the notification row holds it."""
    await con.execute(
        "UPDATE outbox SET payload = payload - 'otp' WHERE topic = 'notification.otp'"
        " AND shipment_id = $1 AND payload->>'otp' = $2",
        shipment_id, code,
    )


_CLAIM_SQL = (
    "SELECT n.*, s.tracking_code, s.direction, s.status AS shipment_status, s.citizen_phone,"
    " s.otp_hash, s.otp_expires_at"
    " FROM notifications n JOIN shipments s ON s.id = n.shipment_id"
    " WHERE n.status = 'pending' AND n.available_at <= now()"
    " ORDER BY n.available_at, n.id LIMIT 1 FOR UPDATE OF n SKIP LOCKED"
)


async def claim_due(con: asyncpg.Connection) -> asyncpg.Record | None:
    """The next due message, locked until the caller's transaction ends; None when nothing is due."""
    return await con.fetchrow(_CLAIM_SQL)


async def add_attempt(con: asyncpg.Connection, notification_id: int, channel: str, outcome: str,
                      detail: str) -> None:
    """Log one channel try (outcome: sent, refused, retry, skipped)."""
    await con.execute(
        "INSERT INTO notification_attempts (notification_id, channel, outcome, detail) VALUES ($1, $2, $3, $4)",
        notification_id, channel, outcome, detail[:300],
    )


async def finish(con: asyncpg.Connection, notification_id: int, status: str, channel: str | None,
                 text_masked: str | None, error: str | None) -> None:
    """Final state (sent, failed, skipped): the one-time code is forgotten."""
    await con.execute(
        "UPDATE notifications SET status = $2, channel = $3, text_masked = $4, last_error = $5, secret = NULL,"
        " attempts = attempts + 1, finished_at = now() WHERE id = $1",
        notification_id, status, channel, text_masked, error,
    )


async def next_channel(con: asyncpg.Connection, notification_id: int, error: str) -> None:
    """This channel gave up on the message: the next one is tried at once."""
    await con.execute(
        "UPDATE notifications SET channel_index = channel_index + 1, channel_tries = 0, attempts = attempts + 1,"
        " last_error = $2 WHERE id = $1",
        notification_id, error,
    )


async def retry_later(con: asyncpg.Connection, notification_id: int, delay_seconds: float, error: str) -> None:
    """A transient failure: the same channel again after ``delay_seconds``."""
    await con.execute(
        "UPDATE notifications SET channel_tries = channel_tries + 1, attempts = attempts + 1, last_error = $3,"
        " available_at = now() + make_interval(secs => $2) WHERE id = $1",
        notification_id, delay_seconds, error,
    )


async def of_shipment(con: asyncpg.Connection, shipment_id: int) -> list[asyncpg.Record]:
    """Every message of a shipment with its attempts (newest message first)."""
    return await con.fetch(
        "SELECT n.id, n.kind, n.status, n.channel, n.created_at, n.finished_at, n.attempts,"
        " coalesce(jsonb_agg(jsonb_build_object('channel', a.channel, 'outcome', a.outcome,"
        "  'detail', a.detail, 'at', a.attempted_at) ORDER BY a.id) FILTER (WHERE a.id IS NOT NULL), '[]')"
        "  AS tries"
        " FROM notifications n LEFT JOIN notification_attempts a ON a.notification_id = n.id"
        " WHERE n.shipment_id = $1 GROUP BY n.id ORDER BY n.id DESC",
        shipment_id,
    )


async def recent(con: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """The last messages that reached a final state, newest first (for the operator's CLI)."""
    return await con.fetch(
        "SELECT n.kind, n.status, n.channel, n.finished_at, n.text_masked, n.last_error, s.tracking_code,"
        " s.citizen_phone FROM notifications n JOIN shipments s ON s.id = n.shipment_id"
        " WHERE n.finished_at IS NOT NULL ORDER BY n.finished_at DESC, n.id DESC LIMIT $1",
        limit,
    )


async def last_otp_queued_at(con: asyncpg.Connection, shipment_id: int) -> Any:
    """When the newest one-time code message of a shipment was queued (None if never)."""
    return await con.fetchval(
        "SELECT max(created_at) FROM outbox WHERE topic = 'notification.otp' AND shipment_id = $1", shipment_id
    )


@dataclass(frozen=True)
class StoredToken:
    access_token: str
    refresh_token: str | None


async def token(con: asyncpg.Connection, name: str) -> StoredToken | None:
    """A provider's stored token pair (None until one was stored)."""
    row = await con.fetchrow("SELECT access_token, refresh_token FROM provider_tokens WHERE name = $1", name)
    return StoredToken(row["access_token"], row["refresh_token"]) if row else None


async def lock_token(con: asyncpg.Connection, name: str, seed: StoredToken) -> StoredToken:
    """The token pair locked for a refresh (seeded from the settings the first time)."""
    await con.execute(
        "INSERT INTO provider_tokens (name, access_token, refresh_token) VALUES ($1, $2, $3)"
        " ON CONFLICT (name) DO NOTHING",
        name, seed.access_token, seed.refresh_token,
    )
    row = await con.fetchrow(
        "SELECT access_token, refresh_token FROM provider_tokens WHERE name = $1 FOR UPDATE", name
    )
    return StoredToken(row["access_token"], row["refresh_token"])


async def save_token(con: asyncpg.Connection, name: str, pair: StoredToken) -> None:
    """Keep a refreshed token pair (Zalo's refresh tokens are single-use: the new one must be kept)."""
    await con.execute(
        "UPDATE provider_tokens SET access_token = $2, refresh_token = $3, updated_at = now() WHERE name = $1",
        name, pair.access_token, pair.refresh_token,
    )
