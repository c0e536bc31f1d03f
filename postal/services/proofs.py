"""Proof of handover for the staff console (issue 14): who received, self or authorised (with the
authorisation document's number), how they were verified (the method, never the value: the event never
kept it), the courier's note, and the signature/photo attachments served to the agency's staff only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from postal.domain.access import Principal, Role, scope_of
from postal.domain.handover import MAX_VERIFICATION_TRIES
from postal.domain.privacy import Access
from postal.errors import NotFound
from postal.services import audit
from postal.services.shipments import code_or_404
from postal.services.views import Clock
from postal.store import proofs as store
from postal.store import shipments as shipments_store

VIEWERS = (Role.staff, Role.admin)
"""Who may see proofs and attachments (on the staff pages; admins see every agency's)."""

_PROOF_EVENTS = ("delivered", "picked_up")


@dataclass(frozen=True)
class Attachment:
    """An attachment's bytes and type, to serve."""

    media_type: str
    data: bytes
    etag: str


async def handover_proofs(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> dict[str, Any]:
    """``items``: the proofs kept with the shipment's handover events (oldest first), each with its
    attachments' URLs; ``locked``: whether too many wrong verifications locked the handover."""
    principal.require(*VIEWERS)
    code = code_or_404(code)
    async with pool.acquire() as con:
        row = await shipments_store.get_by_code(con, code, scope_of(principal))
        events = await shipments_store.events_of(con, row["id"])
        attachments = await store.attachments_of(con, row["id"])
    by_event: dict[int, list[dict[str, Any]]] = {}
    for a in attachments:
        by_event.setdefault(a["event_id"], []).append({
            "id": a["id"], "kind": a["kind"], "url": f"/staff/shipments/{code}/attachments/{a['id']}"})
    proofs = []
    for e in events:
        details = e["details"] or {}
        if e["id"] not in by_event and (e["event"] not in _PROOF_EVENTS or not details.get("recipient_name")):
            continue  # a handover without a recorded proof (e.g. the courier's own pickup of a delivery)
        proofs.append({
            "event": e["event"], "occurred_at": clock.local(e["occurred_at"]), "applied": e["applied"],
            "recipient_name": details.get("recipient_name"), "relationship": details.get("relationship"),
            "recipient_role": details.get("recipient_role"),
            "authorization_number": details.get("authorization_number"),
            "verification_method": details.get("verification_method"), "verified": details.get("verified"),
            "note": details.get("note"), "attachments": by_event.get(e["id"], []),
        })
    return {"items": proofs, "locked": row["verification_failures"] >= MAX_VERIFICATION_TRIES}


async def attachment(pool: asyncpg.Pool, principal: Principal, code: str, attachment_id: str) -> Attachment:
    """One attachment of a shipment the principal may see; 404 for anything else (another agency's too)."""
    principal.require(*VIEWERS)
    code = code_or_404(code)
    if not attachment_id.isdigit() or len(attachment_id) > 18:
        raise NotFound("Không tìm thấy tệp đính kèm.")
    async with pool.acquire() as con:
        row = await shipments_store.get_by_code(con, code, scope_of(principal))
        found = await store.attachment_data(con, row["id"], int(attachment_id))
        if found is not None:  # a signature or photo is personal data: its reading is recorded
            await audit.record(con, principal, [row["id"]], Access.attachment)
    if found is None:
        raise NotFound("Không tìm thấy tệp đính kèm.")
    return Attachment(found["media_type"], bytes(found["data"]), bytes(found["sha256"]).hex()[:32])

