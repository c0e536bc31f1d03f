"""Data-subject requests (SPEC §13, Law 91/2025/QH15): a citizen's right of access (everything held
about a phone number, as JSON) and early erasure, for admins only; both are written to the access log.

Other roles get 404, as if the endpoints did not exist (SPEC: admin only). Erasure erases the
shipments that are finished (delivered, returned, cancelled) at once, whatever their age, and keeps
the open ones untouched (the courier still needs the name, phone and address to deliver); the answer
lists both. A purged shipment no longer holds the phone, so it is not found again.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from postal.domain import codes
from postal.domain.access import Principal, Role
from postal.domain.masking import mask_phone
from postal.domain.privacy import TERMINAL_STATUSES, Access
from postal.errors import NotFound
from postal.services import audit
from postal.services.retention import erase_rows
from postal.services.views import Clock, shipment_view
from postal.store import privacy as store
from postal.store import shipments as shipments_store


class PhoneIn(BaseModel):
    """Whose data: the phone number the citizen gives (any Vietnamese form; normalised)."""

    model_config = ConfigDict(extra="ignore")

    phone: str = Field(max_length=40, description="Số điện thoại của người yêu cầu")


def require_admin(principal: Principal | None) -> Principal:
    """The admin, or 404 for everyone else (the endpoints are not theirs to know about)."""
    if principal is None or principal.role is not Role.admin:
        raise NotFound("Không tìm thấy.")
    return principal


async def _audit(con: asyncpg.Connection, principal: Principal, ids: list[int], access: Access, phone: str) -> None:
    if ids:
        await audit.record(con, principal, ids, access, mask_phone(phone))
    else:
        await audit.record_subject(con, principal, access, mask_phone(phone))


async def export(pool: asyncpg.Pool, principal: Principal, phone_text: str, clock: Clock) -> dict[str, Any]:
    """Every shipment (with its timeline) still holding this phone number."""
    require_admin(principal)
    phone = codes.normalize_phone(phone_text, "phone")
    async with pool.acquire() as con, con.transaction():
        rows = await store.of_phone(con, phone)
        events = await shipments_store.events_of_many(con, [r["id"] for r in rows])
        await _audit(con, principal, [r["id"] for r in rows], Access.citizen_export, phone)
    return {"phone": phone, "count": len(rows),
            "shipments": [shipment_view(r, events[r["id"]], principal, clock) for r in rows]}


async def erase(pool: asyncpg.Pool, principal: Principal, phone_text: str) -> dict[str, Any]:
    """Erase now the finished shipments of this phone; list the open ones kept."""
    require_admin(principal)
    phone = codes.normalize_phone(phone_text, "phone")
    async with pool.acquire() as con, con.transaction():
        rows = await store.of_phone(con, phone, lock=True)
        done = [r for r in rows if r["status"] in TERMINAL_STATUSES]
        kept = [r for r in rows if r["status"] not in TERMINAL_STATUSES]
        await _audit(con, principal, [r["id"] for r in rows], Access.citizen_erase, phone)
        await erase_rows(con, done)
    return {"phone": mask_phone(phone), "erased": [r["tracking_code"] for r in done],
            "kept_open": [{"tracking_code": r["tracking_code"], "status": r["status"]} for r in kept]}
