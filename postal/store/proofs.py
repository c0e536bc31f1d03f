"""What the staff console shows of a handover's proof: the attachments (signature, photo) of a
shipment's events, listed without their bytes, and one attachment's bytes (always by shipment id, so a
guessed attachment id of another shipment finds nothing)."""

from __future__ import annotations

import asyncpg


async def attachments_of(con: asyncpg.Connection, shipment_id: int) -> list[asyncpg.Record]:
    """(id, event_id, kind, media_type, size_bytes) of every attachment of the shipment's events."""
    return await con.fetch(
        "SELECT a.id, a.event_id, a.kind, a.media_type, a.size_bytes FROM scan_attachments a"
        " JOIN shipment_events e ON e.id = a.event_id WHERE e.shipment_id = $1 ORDER BY a.id",
        shipment_id,
    )


async def attachment_data(con: asyncpg.Connection, shipment_id: int, attachment_id: int) -> asyncpg.Record | None:
    """(media_type, data, sha256) of an attachment of this shipment's events, or None."""
    return await con.fetchrow(
        "SELECT a.media_type, a.data, a.sha256 FROM scan_attachments a JOIN shipment_events e ON e.id = a.event_id"
        " WHERE a.id = $1 AND e.shipment_id = $2",
        attachment_id, shipment_id,
    )
