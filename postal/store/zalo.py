"""SQL of the Zalo OA chatbot: received events (once-guard and rate counter), followers, messages to send."""

from __future__ import annotations

import asyncpg

_LOCK_USER = "SELECT pg_advisory_xact_lock(hashtextextended('zalo-user:' || $1, 0))"


async def lock_user(con: asyncpg.Connection, user_id: str) -> None:
    """Serialise one Zalo user's events (rate counting) across processes, until the transaction ends."""
    await con.execute(_LOCK_USER, user_id)


async def record_event(con: asyncpg.Connection, event_id: str, user_id: str) -> bool:
    """Insert the event; False when this event id was already received (by any process)."""
    got = await con.fetchval(
        "INSERT INTO zalo_events (event_id, user_id, outcome) VALUES ($1, $2, 'received')"
        " ON CONFLICT (event_id) DO NOTHING RETURNING true", event_id, user_id)
    return bool(got)


async def weight_in_window(con: asyncpg.Connection, user_id: str, window_s: int, except_id: str) -> int:
    """The user's counted messages in the last ``window_s`` seconds, not counting ``except_id``."""
    return int(await con.fetchval(
        "SELECT coalesce(sum(weight), 0) FROM zalo_events WHERE user_id = $1 AND event_id <> $3"
        " AND received_at > now() - make_interval(secs => $2)", user_id, float(window_s), except_id))


async def told_limited(con: asyncpg.Connection, user_id: str, window_s: int) -> bool:
    """True when the user was already told about the limit in this window."""
    return bool(await con.fetchval(
        "SELECT EXISTS (SELECT 1 FROM zalo_events WHERE user_id = $1 AND outcome = 'limited'"
        " AND received_at > now() - make_interval(secs => $2))", user_id, float(window_s)))


async def finish_event(con: asyncpg.Connection, event_id: str, outcome: str, weight: int) -> None:
    """What came of the event (for counting and the operator), never its text."""
    await con.execute("UPDATE zalo_events SET outcome = $2, weight = $3 WHERE event_id = $1",
                      event_id, outcome, weight)


async def purge_events(con: asyncpg.Connection, older_than_s: int) -> None:
    """Forget events older than the dedupe horizon."""
    await con.execute("DELETE FROM zalo_events WHERE received_at < now() - make_interval(secs => $1)",
                      float(older_than_s))


async def subscribe(con: asyncpg.Connection, user_id: str, shipment_id: int) -> None:
    """Follow a shipment (idempotent)."""
    await con.execute("INSERT INTO zalo_subscriptions (user_id, shipment_id) VALUES ($1, $2)"
                      " ON CONFLICT DO NOTHING", user_id, shipment_id)


async def unsubscribe(con: asyncpg.Connection, user_id: str, code: str) -> None:
    """Stop following a shipment (nothing when not followed or unknown)."""
    await con.execute("DELETE FROM zalo_subscriptions z USING shipments s"
                      " WHERE z.shipment_id = s.id AND s.tracking_code = $2 AND z.user_id = $1", user_id, code)


async def followers(con: asyncpg.Connection, shipment_id: int) -> list[str]:
    """The Zalo users following a shipment."""
    rows = await con.fetch("SELECT user_id FROM zalo_subscriptions WHERE shipment_id = $1 ORDER BY user_id",
                           shipment_id)
    return [r["user_id"] for r in rows]


async def queue_message(con: asyncpg.Connection, user_id: str, ref: str, text: str,
                        link_code: str | None = None) -> bool:
    """Queue one OA message (``link_code``: append that code's tracking link when sending);
    False when (user, ref) was already queued."""
    got = await con.fetchval(
        "INSERT INTO zalo_messages (user_id, ref, text, link_code) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (user_id, ref) DO NOTHING RETURNING true", user_id, ref, text, link_code)
    return bool(got)


async def claim_due(con: asyncpg.Connection) -> asyncpg.Record | None:
    """The oldest due message, locked for this transaction (others skip it)."""
    return await con.fetchrow(
        "SELECT id, user_id, text, link_code, attempts FROM zalo_messages"
        " WHERE status = 'pending' AND available_at <= now() ORDER BY available_at, id LIMIT 1 FOR UPDATE SKIP LOCKED")


async def mark_sent(con: asyncpg.Connection, message_id: int) -> None:
    """The OA accepted the message."""
    await con.execute("UPDATE zalo_messages SET status = 'sent', sent_at = now(), attempts = attempts + 1,"
                      " last_error = NULL WHERE id = $1", message_id)


async def mark_failed(con: asyncpg.Connection, message_id: int, error: str) -> None:
    """The OA refused it for good."""
    await con.execute("UPDATE zalo_messages SET status = 'failed', attempts = attempts + 1, last_error = $2"
                      " WHERE id = $1", message_id, error[:200])


async def retry_later(con: asyncpg.Connection, message_id: int, error: str, delay_s: float) -> None:
    """A transient failure: try again after ``delay_s`` seconds."""
    await con.execute("UPDATE zalo_messages SET attempts = attempts + 1, last_error = $2,"
                      " available_at = now() + make_interval(secs => $3) WHERE id = $1",
                      message_id, error[:200], delay_s)
