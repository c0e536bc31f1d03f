"""Helpers of the tracking tests: shipments in any status, with personal data that must never leak."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from postal.domain.lifecycle import Event, ShipmentState, Status, apply
from postal.store import shipments as store
from tests.integration.payloads import create_body

NAME = "Nguyễn Thị Hồng Nhung"
MASKED = "N. T. H. Nhung"
PHONE = "0369852147"
PHONE4 = PHONE[-4:]
ID_NUMBER = "031188997766"
STREET = "Số 12 ngõ 3 đường Hùng Vương"
NOTE = "Gọi trước khi giao"
DOSSIER = "000.00.15.H62-260315-0012"

PATHS: dict[str, list[str]] = {
    "created": [],
    "picked_up": ["picked_up"],
    "in_transit": ["picked_up", "arrived"],
    "out_for_delivery": ["picked_up", "arrived", "out_for_delivery"],
    "delivery_failed": ["picked_up", "out_for_delivery", "delivery_failed"],
    "delivered": ["picked_up", "arrived", "out_for_delivery", "delivered"],
    "returned": ["picked_up", "out_for_delivery", "delivery_failed", "returned"],
    "cancelled": ["cancel"],
}
"""The events that lead to each status."""


def body(direction: str = "delivery") -> dict[str, Any]:
    """A create body carrying the personal data the leak checks look for."""
    return create_body(**{
        "direction": direction, "citizen.name": NAME, "citizen.phone": PHONE, "citizen.id_number": ID_NUMBER,
        "citizen.address.line": STREET, "note": NOTE,
    })


async def create(client: Any, world: Any, direction: str = "delivery") -> dict[str, Any]:
    """A shipment created through the real API."""
    resp = await client.post("/api/v1/shipments", json=body(direction), headers=world.auth("staff1"))
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def courier_id(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT id FROM users WHERE username = 'courier1'"))


async def move(db: asyncpg.Connection, code: str, events: list[str], *, late: bool = False) -> None:
    """Record ``events`` (with actor, geo point and handover proof, as couriers do); ``late`` adds a late scan."""
    await db.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    row = await db.fetchrow("SELECT id, status, failed_attempts FROM shipments WHERE tracking_code = $1", code)
    state = ShipmentState(Status(row["status"]), row["failed_attempts"])
    actor = await courier_id(db)
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    for i, name in enumerate(events):
        event = Event(name)
        new = apply(state, event, by_staff=event in (Event.cancel, Event.returned))
        details = {"recipient_name": NAME, "relationship": "self",
                   "verification": {"method": "id_last4", "value": ID_NUMBER[-4:]}} if name == "delivered" else {}
        await store.insert_event(db, store.NewEvent(
            shipment_id=row["id"], event=name, occurred_at=start + timedelta(hours=i), actor_user_id=actor,
            post_office_code="PO-1", from_status=state.status.value, to_status=new.status.value,
            lat=21.3089, lon=105.6049, details=details,
        ))
        state = new
    await store.set_status(db, row["id"], state.status.value, state.failed_attempts,
                           completed=state.status in (Status.delivered, Status.returned, Status.cancelled))
    if late:
        await store.insert_event(db, store.NewEvent(
            shipment_id=row["id"], event="arrived", occurred_at=start - timedelta(hours=5), actor_user_id=actor,
            post_office_code="PO-2", from_status=state.status.value, to_status=state.status.value, applied=False,
        ))


def leaks(text: str, *, typed: str = "") -> list[str]:
    """Personal data found in a raw response: full name, phone or any 4-digit run of it, ID, street, note…"""
    found = [s for s in (NAME, PHONE, ID_NUMBER, STREET, "Hùng Vương", NOTE, DOSSIER, "courier1",
                         "21.3089", "105.6049", "id_last4") if s in text]
    runs = {PHONE[i:i + 4] for i in range(len(PHONE) - 3)} | {ID_NUMBER[-4:]}
    found += [r for r in sorted(runs) if r != typed and r in text]
    found += [w for w in ("Nguyễn", "Hồng") if w in text]
    if "Nhung" in text.replace(MASKED, ""):
        found.append("Nhung outside the masked name")
    return found
