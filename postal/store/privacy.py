"""The retention purge's SQL (SPEC §13): claim due shipments with SKIP LOCKED, erase their personal
fields everywhere they are copied, and find a data subject's shipments by phone.

The erasure runs with ``postal.purge = 'on'`` for its own transaction: the only way the trigger of
``shipment_events`` lets a row change (and then only its details and geo point; migration 018)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from postal.domain.privacy import ERASED_DETAIL_KEYS, TERMINAL_STATUSES

# A literal, not a parameter: the partial index shipments_purge_due carries this predicate.
_TERMINAL_SQL = "(" + ", ".join(f"'{v}'" for v in TERMINAL_STATUSES) + ")"
_DONE_AT = "s.completed_at"  # stamped by every move to a terminal status (migration 020)


async def claim_due(con: asyncpg.Connection, cutoff: datetime, limit: int) -> list[asyncpg.Record]:
    """Lock up to ``limit`` terminal, unpurged shipments finished before ``cutoff`` (others' locks skipped)."""
    return await con.fetch(
        f"SELECT s.id, s.citizen_name FROM shipments s WHERE s.purged_at IS NULL"  # noqa: S608 - literal statuses
        f" AND s.status IN {_TERMINAL_SQL} AND {_DONE_AT} < $1"
        f" ORDER BY {_DONE_AT}, s.id LIMIT $2 FOR UPDATE OF s SKIP LOCKED",
        cutoff, limit,
    )


async def of_phone(con: asyncpg.Connection, phone: str, *, lock: bool = False) -> list[asyncpg.Record]:
    """Every shipment still holding this phone number, oldest first (locked when erasing)."""
    tail = " FOR UPDATE OF s" if lock else ""
    return await con.fetch(
        "SELECT s.*, a.name AS agency_name, p.name AS post_office_name FROM shipments s"  # noqa: S608 - no values
        " JOIN agencies a ON a.code = s.agency_code JOIN post_offices p ON p.code = s.post_office_code"
        f" WHERE s.citizen_phone = $1 ORDER BY s.id{tail}",
        phone,
    )


async def erase(con: asyncpg.Connection, ids: list[int], kept_names: list[str]) -> None:
    """Erase the personal fields of these (locked) shipments and every copy of them; mark them purged.

    Must run inside the caller's transaction, which holds the rows' locks."""
    await con.execute("SELECT set_config('postal.purge', 'on', true)")
    await con.execute(
        "UPDATE shipments s SET citizen_name = m.kept, citizen_phone = '', citizen_id_number = NULL,"
        " address_line = '', note = '', otp_hash = NULL, otp_expires_at = NULL,"
        " purged_at = coalesce(s.purged_at, now())"
        " FROM unnest($1::bigint[], $2::text[]) AS m(id, kept) WHERE s.id = m.id",
        ids, kept_names,
    )
    await con.execute(
        "UPDATE shipment_events e SET lat = NULL, lon = NULL, details = e.details || coalesce("
        "  (SELECT jsonb_object_agg(k, '') FROM jsonb_object_keys(e.details) k WHERE k = ANY($2::text[])),"
        "  '{}'::jsonb)"
        " WHERE e.shipment_id = ANY($1::bigint[]) AND (e.lat IS NOT NULL OR e.details ?| $2::text[])",
        ids, list(ERASED_DETAIL_KEYS),
    )
    await con.execute(
        "DELETE FROM scan_attachments a USING shipment_events e"
        " WHERE a.event_id = e.id AND e.shipment_id = ANY($1::bigint[])",
        ids,
    )
    await con.execute("UPDATE notifications SET secret = NULL WHERE shipment_id = ANY($1::bigint[])"
                      " AND secret IS NOT NULL", ids)
    await con.execute("UPDATE outbox SET payload = payload - 'otp' WHERE shipment_id = ANY($1::bigint[])"
                      " AND payload ? 'otp'", ids)
    await con.execute("DELETE FROM idempotency_keys WHERE shipment_id = ANY($1::bigint[])", ids)
    # A Zalo user following a shipment links a person to it; their sent replies may hold the masked name.
    await con.execute("DELETE FROM zalo_subscriptions WHERE shipment_id = ANY($1::bigint[])", ids)
    await con.execute("DELETE FROM zalo_messages m USING shipments s WHERE s.id = ANY($1::bigint[])"
                      " AND m.link_code = s.tracking_code AND m.status <> 'pending'", ids)
    await con.execute("SELECT set_config('postal.purge', '', true)")


async def purged_for_share(con: asyncpg.Connection, shipment_id: int) -> bool:
    """Whether the shipment is purged, holding a share lock so a purge cannot start until the caller commits."""
    return bool(await con.fetchval("SELECT purged_at IS NOT NULL FROM shipments WHERE id = $1 FOR SHARE",
                                   shipment_id))


async def purged_count(con: asyncpg.Connection) -> int:
    """How many shipments have been purged, ever (the /metrics gauge)."""
    return int(await con.fetchval("SELECT count(*) FROM shipments WHERE purged_at IS NOT NULL"))
