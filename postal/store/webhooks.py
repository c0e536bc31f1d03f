"""Webhook subscriptions, deliveries and their attempt log (SQL only).

Deliveries are claimed with ``FOR UPDATE SKIP LOCKED`` and leased: the claim moves
``next_attempt_at`` past the send's timeout and counts the attempt, then commits, so no
transaction stays open during the HTTP call. The outcome is written only if the delivery is still
the one claimed (same ``attempts``), so a send that outlived its lease cannot overwrite a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from postal.errors import NotFound

_SELECT_SUB = "SELECT id, agency_code, url, events, created_at, disabled_at, disabled_reason FROM webhook_subscriptions"


async def lock_agency_subscriptions(con: asyncpg.Connection, agency_code: str | None) -> None:
    """Serialize subscription changes of one agency (``None``: the all-agency ones) until the transaction ends,
    so two concurrent creates cannot both pass the per-agency limit."""
    await con.execute("SELECT pg_advisory_xact_lock(hashtext('webhook_subscriptions:' || $1))", agency_code or "*")


async def count_active(con: asyncpg.Connection, agency_code: str | None) -> int:
    """Live subscriptions of one agency (or the all-agency ones for None)."""
    return int(await con.fetchval(
        "SELECT count(*) FROM webhook_subscriptions WHERE deleted_at IS NULL"
        " AND agency_code IS NOT DISTINCT FROM $1", agency_code))


async def agency_exists(con: asyncpg.Connection, code: str) -> bool:
    return bool(await con.fetchval("SELECT EXISTS (SELECT 1 FROM agencies WHERE code = $1)", code))


async def insert_subscription(con: asyncpg.Connection, agency_code: str | None, url: str, events: list[str],
                              secret: str, user_id: int) -> asyncpg.Record:
    """A new subscription (without its secret in the answer)."""
    return await con.fetchrow(
        "INSERT INTO webhook_subscriptions (agency_code, url, events, secret, created_by)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id, agency_code, url, events, created_at, disabled_at, disabled_reason",
        agency_code, url, events, secret, user_id,
    )


async def list_subscriptions(con: asyncpg.Connection, agency_scope: str | None) -> list[asyncpg.Record]:
    """Live subscriptions of one agency, or all of them for the None scope (admins)."""
    return await con.fetch(
        _SELECT_SUB + " WHERE deleted_at IS NULL AND ($1::text IS NULL OR agency_code = $1) ORDER BY id",
        agency_scope,
    )


async def get_subscription(con: asyncpg.Connection, sub_id: int, agency_scope: str | None) -> asyncpg.Record:
    """One live subscription visible in the scope, else NotFound."""
    row = await con.fetchrow(
        _SELECT_SUB + " WHERE id = $1 AND deleted_at IS NULL AND ($2::text IS NULL OR agency_code = $2)",
        sub_id, agency_scope,
    )
    if row is None:
        raise NotFound(f"Không tìm thấy đăng ký webhook {sub_id}.")
    return row


async def delete_subscription(con: asyncpg.Connection, sub_id: int, agency_scope: str | None) -> None:
    """Hide a subscription and cancel what it still had to send; the log stays."""
    await get_subscription(con, sub_id, agency_scope)
    await con.execute("UPDATE webhook_subscriptions SET deleted_at = now() WHERE id = $1", sub_id)
    await _cancel_pending(con, sub_id)


async def _cancel_pending(con: asyncpg.Connection, sub_id: int) -> None:
    await con.execute("UPDATE webhook_deliveries SET status = 'cancelled'"
                      " WHERE subscription_id = $1 AND status = 'pending'", sub_id)


async def disable_subscription(con: asyncpg.Connection, sub_id: int, reason: str) -> None:
    """The target said it is gone (410): stop sending to it."""
    await con.execute("UPDATE webhook_subscriptions SET disabled_at = now(), disabled_reason = $2"
                      " WHERE id = $1 AND disabled_at IS NULL", sub_id, reason)
    await _cancel_pending(con, sub_id)


async def shipment_facts(con: asyncpg.Connection, tracking_code: str) -> dict[str, Any] | None:
    """The non-personal shipment columns a webhook payload adds to the outbox payload."""
    row = await con.fetchrow("SELECT dossier_code, due_date FROM shipments WHERE tracking_code = $1", tracking_code)
    if row is None:
        return None
    return {"dossier_code": row["dossier_code"], "due_date": row["due_date"].isoformat()}


async def matching_subscriptions(con: asyncpg.Connection, agency_code: str | None, type_: str,
                                 enqueued_at: datetime) -> list[int]:
    """Live, enabled subscriptions that receive ``type_`` for a shipment of ``agency_code``; only those
    that existed when the change happened (a new subscription gets no backlog)."""
    rows = await con.fetch(
        "SELECT id FROM webhook_subscriptions WHERE deleted_at IS NULL AND disabled_at IS NULL"
        " AND (agency_code IS NULL OR agency_code = $1) AND ('*' = ANY(events) OR $2 = ANY(events))"
        " AND created_at <= $3",
        agency_code, type_, enqueued_at,
    )
    return [r["id"] for r in rows]


async def add_deliveries(con: asyncpg.Connection, sub_ids: list[int], message_id: str, type_: str,
                         body: str) -> None:
    """One delivery per subscription; a message already fanned out to a subscription is left alone."""
    await con.executemany(
        "INSERT INTO webhook_deliveries (subscription_id, message_id, event_type, body) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (subscription_id, message_id) DO NOTHING",
        [(sub_id, message_id, type_, body) for sub_id in sub_ids],
    )


@dataclass(frozen=True)
class Claimed:
    """A delivery leased to this worker, with what it needs to send it."""

    id: int
    subscription_id: int
    attempt: int
    message_id: str
    event_type: str
    body: str
    url: str
    secret: str
    first_attempt_at: datetime


_CLAIM_SQL = (
    "WITH due AS ("
    " SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id"
    " WHERE d.status = 'pending' AND d.next_attempt_at <= now()"
    "  AND s.deleted_at IS NULL AND s.disabled_at IS NULL"
    " ORDER BY d.next_attempt_at, d.id LIMIT $1 FOR UPDATE OF d SKIP LOCKED"
    ")"
    " UPDATE webhook_deliveries d SET attempts = d.attempts + 1,"
    "  next_attempt_at = now() + make_interval(secs => $2),"
    "  first_attempt_at = COALESCE(d.first_attempt_at, now())"
    " FROM due, webhook_subscriptions s WHERE d.id = due.id AND s.id = d.subscription_id"
    " RETURNING d.id, d.subscription_id, d.attempts, d.message_id, d.event_type, d.body, s.url, s.secret,"
    "  d.first_attempt_at"
)


async def claim_due(con: asyncpg.Connection, limit: int, lease_seconds: float) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries that no other worker holds."""
    rows = await con.fetch(_CLAIM_SQL, limit, lease_seconds)
    return [Claimed(id=r["id"], subscription_id=r["subscription_id"], attempt=r["attempts"],
                    message_id=r["message_id"], event_type=r["event_type"], body=r["body"], url=r["url"],
                    secret=r["secret"], first_attempt_at=r["first_attempt_at"]) for r in rows]


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: the status to keep, the code, and when to try again (None: never)."""

    status: str  # delivered | pending | failed
    outcome: str  # delivered | http_error | gone | timeout | refused | connection_error
    status_code: int | None
    error: str | None
    attempted_at: datetime
    duration_ms: int
    next_attempt_at: datetime | None


async def record(con: asyncpg.Connection, claimed: Claimed, out: Outcome) -> bool:
    """Write the attempt and its result; False when the lease was lost (the delivery was claimed again)."""
    done = await con.fetchval(
        "UPDATE webhook_deliveries SET status = $3, last_attempt_at = $4, last_status_code = $5,"
        " last_outcome = $6, next_attempt_at = COALESCE($7, next_attempt_at),"
        " delivered_at = CASE WHEN $3 = 'delivered' THEN $4 ELSE delivered_at END"
        " WHERE id = $1 AND attempts = $2 AND status = 'pending' RETURNING id",
        claimed.id, claimed.attempt, out.status, out.attempted_at, out.status_code, out.outcome,
        out.next_attempt_at,
    )
    await con.execute(
        "INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code, outcome,"
        " error, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        claimed.id, claimed.attempt, out.attempted_at, out.duration_ms, out.status_code, out.outcome, out.error,
        out.next_attempt_at,
    )
    return done is not None


async def list_deliveries(con: asyncpg.Connection, sub_id: int, before_id: int | None,
                          limit: int) -> list[asyncpg.Record]:
    """The subscription's deliveries, newest first, from ``before_id`` (exclusive)."""
    return await con.fetch(
        "SELECT id, message_id, event_type, status, attempts, created_at, first_attempt_at, last_attempt_at,"
        " last_status_code, last_outcome, CASE WHEN status = 'pending' THEN next_attempt_at END AS next_attempt_at,"
        " delivered_at FROM webhook_deliveries WHERE subscription_id = $1 AND ($2::bigint IS NULL OR id < $2)"
        " ORDER BY id DESC LIMIT $3",
        sub_id, before_id, limit,
    )


async def attempts_of(con: asyncpg.Connection, delivery_ids: list[int]) -> list[asyncpg.Record]:
    return await con.fetch(
        "SELECT delivery_id, attempt, attempted_at, duration_ms, status_code, outcome, error, next_attempt_at"
        " FROM webhook_attempts WHERE delivery_id = ANY($1::bigint[]) ORDER BY id", delivery_ids,
    )


async def redeliver(con: asyncpg.Connection, sub_id: int, delivery_id: int) -> None:
    """Send a delivery again as soon as a worker is free, with a fresh retry window; NotFound if not there."""
    done = await con.fetchval(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), first_attempt_at = NULL"
        " WHERE id = $1 AND subscription_id = $2 RETURNING id", delivery_id, sub_id,
    )
    if done is None:
        raise NotFound(f"Không tìm thấy lần gửi {delivery_id} của đăng ký webhook này.")
