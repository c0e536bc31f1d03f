"""The courier's views (SPEC §5): today's list of open shipments of the post office, and one shipment
with the events the courier may record now."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import asyncpg

from postal.domain.access import Principal, scope_of
from postal.domain.address import address_lines, province_name, ward_name
from postal.domain.deadlines import is_overdue
from postal.domain.handover import MAX_VERIFICATION_TRIES
from postal.domain.lifecycle import Direction, ShipmentState, Status, allowed_events
from postal.domain.privacy import Access
from postal.domain.status_texts import event_text, status_text
from postal.errors import InvalidInput, NotFound
from postal.services import audit
from postal.services.recording import RECORDERS, resolve_code
from postal.services.views import Clock, shipment_view
from postal.store import scans as store
from postal.store import shipments as shipments_store

MAX_COURIER_ITEMS = 300
MAX_SEARCHED_ITEMS = 5000
"""With ``q``, the open items looked through (one post office's open work) before keeping 300."""


def fold(text: str) -> str:
    """Text folded for search: lower case, no diacritics, ``đ`` → ``d`` (``courier.js`` folds the same way)."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))


def _item_view(row: asyncpg.Record, clock: Clock) -> dict[str, Any]:
    status = Status(row["status"])
    done = row["completed_at"].astimezone(clock.settings.tz).date() if row["completed_at"] else None
    due: date = row["due_date"]
    return {
        "tracking_code": row["tracking_code"], "direction": row["direction"], "status": status.value,
        "status_text": status_text(status, Direction(row["direction"])),
        "due_date": due.isoformat(), "overdue": is_overdue(status.value, due, clock.today(), done),
        "failed_attempts": row["failed_attempts"], "name": row["citizen_name"], "phone": row["citizen_phone"],
        "address": ", ".join(address_lines(row["address_line"] or "", ward_name(row["ward_code"]),
                                           province_name(row["province_code"]))),
        "dossier_code": row["dossier_code"], "procedure_name": row["procedure_name"],
        "cod_amount": row["cod_amount"], "note": row["note"],
        "search": fold(" ".join(str(row[k] or "") for k in (
            "tracking_code", "citizen_name", "citizen_phone", "address_line", "dossier_code", "procedure_name"))),
    }


async def courier_items(pool: asyncpg.Pool, principal: Principal, clock: Clock, q: str = "") -> list[dict[str, Any]]:
    """Today's work of the courier's post office: its open shipments, the most urgent first; with ``q``
    only those whose code, name, phone, address or dossier contain it (case and accents ignored)."""
    principal.require(*RECORDERS)
    words = fold(q).split()
    async with pool.acquire() as con:
        rows = await store.open_items(con, str(principal.post_office_code),
                                      MAX_SEARCHED_ITEMS if words else MAX_COURIER_ITEMS)
        found = [(r["id"], v) for r, v in ((r, _item_view(r, clock)) for r in rows)
                 if all(w in v["search"] for w in words)][:MAX_COURIER_ITEMS]
        await audit.record(con, principal, [shipment_id for shipment_id, _ in found], Access.courier_list)
    return [view for _, view in found]


async def courier_item(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> dict[str, Any]:
    """One shipment for the action page, with the events the courier may record now."""
    principal.require(*RECORDERS)
    try:
        code = resolve_code(code, clock.settings.key)
    except InvalidInput:
        raise NotFound(f"Không tìm thấy bưu gửi {code[:40]!r}.") from None
    async with pool.acquire() as con:
        row = await shipments_store.get_by_code(con, code, scope_of(principal))
        events = await shipments_store.events_of(con, row["id"])
        await audit.record(con, principal, [row["id"]], Access.courier_item)
    view = shipment_view(row, events, principal, clock)
    state = ShipmentState(Status(row["status"]), row["failed_attempts"])
    view["status_text"] = status_text(state.status, Direction(row["direction"]))
    view["allowed_events"] = [
        {"event": e.value, "text": event_text(e)}
        for e in allowed_events(state, max_attempts=clock.settings.max_attempts)
    ]
    view["verification_locked"] = row["verification_failures"] >= MAX_VERIFICATION_TRIES
    view["has_id_number"] = bool(row["citizen_id_number"])
    return view
