"""Use cases on existing shipments: read one, list and search (with a cursor), and the staff's
orders (cancel, return, reset a locked handover). Creating one is :mod:`postal.services.shipment_creation`'s."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from postal.domain import codes, search
from postal.domain.access import Principal, Role, scope_of
from postal.domain.lifecycle import Event, ShipmentState, Status, apply
from postal.domain.privacy import Access
from postal.errors import BadRequest, FieldError, InvalidInput, NotFound
from postal.services import audit
from postal.services.carriers import carrier_info
from postal.services.views import Clock, outbox_payload, shipment_view
from postal.store import shipments as store

LISTERS = (Role.staff, Role.integration, Role.admin)
"""Who may list and search shipments (any role may read one it can see: :func:`get_shipment`)."""
ORDERERS = (Role.staff, Role.integration)
"""Who may order a shipment cancelled or returned."""
UNLOCKERS = (Role.staff,)
"""Who may reset a locked handover (the agency's desk, after checking with the citizen)."""

class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


async def get_shipment(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock,
                       access: Access = Access.detail) -> dict[str, Any]:
    """One shipment with its timeline, if the principal may see it (the read is written to the access log)."""
    code = code_or_404(code)
    async with pool.acquire() as con:
        row = await store.get_by_code(con, code, scope_of(principal))
        await audit.record(con, principal, [row["id"]], access)
        view = shipment_view(row, await store.events_of(con, row["id"]), principal, clock)
        view["carrier"] = await carrier_info(con, row["id"])  # SPEC §9: the operator's order, for staff
        return view


def code_or_404(text: str) -> str:
    """The canonical tracking code; a malformed one is a 404 like an unknown one (nothing to tell apart)."""
    try:
        return codes.normalize_s10(text)
    except InvalidInput:
        raise NotFound(f"Không tìm thấy bưu gửi {text[:40]!r}.") from None


class ListQuery(_In):
    """Query string of ``GET /shipments``."""

    status: Status | None = None
    direction: Literal["pickup", "delivery"] | None = None
    q: str | None = Field(default=None, max_length=200)
    overdue: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=100)


def encode_cursor(shipment_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{shipment_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor points after, or BadRequest for anything we did not hand out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "id" or not number.isdigit() or len(number) > 18:
            raise ValueError(cursor)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(
            "Con trỏ phân trang (cursor) không hợp lệ: dùng đúng giá trị next_cursor đã nhận.",
            errors=[FieldError("cursor", "Không hợp lệ.")],
        ) from None


def _search_terms(q: str | None) -> dict[str, Any]:
    """``q`` as a tracking code, a phone number, or words each found (accent- and case-insensitive, partial)
    in the name, phone, code, dossier code or street line (SPEC §5; :mod:`postal.domain.search`)."""
    if not q or not q.strip():
        return {}
    text = codes.clean_text(q, "q", max_length=200)
    if codes.is_s10(text):  # a whole tracking code (its check digit holds): that shipment, by its unique index
        return {"code": codes.normalize_s10(text)}
    terms: dict[str, Any] = {"words": tuple(search.terms(text))}
    try:
        terms["phone"] = codes.normalize_phone(text, "q")
    except InvalidInput:
        pass
    return terms


async def list_shipments(pool: asyncpg.Pool, principal: Principal, query: ListQuery, clock: Clock,
                         access: Access = Access.list) -> dict[str, Any]:
    """A page of shipments, newest first, with ``next_cursor`` when more remain (access-logged, one INSERT)."""
    principal.require(*LISTERS)
    f = store.ListFilter(
        status=query.status.value if query.status else None,
        direction=query.direction,
        overdue=query.overdue,
        today=clock.today(),
        timezone=clock.settings.timezone,
        before_id=decode_cursor(query.cursor) if query.cursor else None,
        limit=query.limit,
        **_search_terms(query.q),
    )
    async with pool.acquire() as con:
        rows = await store.list_shipments(con, scope_of(principal), f)
        page = rows[: query.limit]
        events = await store.events_of_many(con, [r["id"] for r in page])
        await audit.record(con, principal, [r["id"] for r in page], access)
    items = [shipment_view(r, events[r["id"]], principal, clock) for r in page]
    next_cursor = encode_cursor(page[-1]["id"]) if len(rows) > query.limit else None
    return {"items": items, "next_cursor": next_cursor}


async def cancel_shipment(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> dict[str, Any]:
    """Cancel a shipment still in ``created``; otherwise 409 with the current status."""
    return await _staff_order(pool, principal, code, Event.cancel, clock, {})


class ReturnOrder(_In):
    """The body of ``POST /shipments/{code}/return``: why the agency orders the item back."""

    reason: str = Field(max_length=500)


async def return_shipment(
    pool: asyncpg.Pool, principal: Principal, code: str, order: ReturnOrder, clock: Clock
) -> dict[str, Any]:
    """Order a non-terminal shipment returned (any non-terminal status, on staff order)."""
    reason = codes.clean_text(order.reason, "reason", max_length=500)
    return await _staff_order(pool, principal, code, Event.returned, clock, {"reason": reason, "by_staff": True})


async def _staff_order(
    pool: asyncpg.Pool, principal: Principal, code: str, event: Event, clock: Clock, details: dict[str, Any]
) -> dict[str, Any]:
    """Apply a staff-ordered event under the row lock, with its outbox row, and answer the shipment."""
    principal.require(*ORDERERS)
    code = code_or_404(code)
    async with pool.acquire() as con, con.transaction():
        row = await store.get_by_code(con, code, scope_of(principal), for_update=True)
        state = apply(ShipmentState(Status(row["status"]), row["failed_attempts"]), event, by_staff=True,
                      max_attempts=clock.settings.max_attempts)
        stored = await store.insert_event(con, store.NewEvent(
            shipment_id=row["id"], event=event.value, occurred_at=clock.now(), actor_user_id=principal.user_id,
            post_office_code=None, from_status=row["status"], to_status=state.status.value, details=details,
        ))
        await store.set_status(con, row["id"], state.status.value, state.failed_attempts, completed=True)
        previous = row["status"]
        row = await store.get_by_id(con, row["id"])
        await store.add_outbox(con, "shipment.status_changed", row["id"], outbox_payload(row, stored, previous))
        await audit.record(con, principal, [row["id"]], Access.update)
        return shipment_view(row, await store.events_of(con, row["id"]), principal, clock)


async def reset_verification(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> dict[str, Any]:
    """Unlock the handover after too many wrong verifications (the agency has checked with the citizen)."""
    principal.require(*UNLOCKERS)
    code = code_or_404(code)
    async with pool.acquire() as con, con.transaction():
        row = await store.get_by_code(con, code, scope_of(principal), for_update=True)
        had = await store.reset_verification_failures(con, row["id"])
        await store.add_outbox(con, "shipment.verification_reset", row["id"], {
            "tracking_code": code, "agency_code": row["agency_code"], "failures": had,
            "by_user_id": principal.user_id, "at": clock.now().isoformat(),
        })
        await audit.record(con, principal, [row["id"]], Access.update)
        row = await store.get_by_id(con, row["id"])
        return shipment_view(row, await store.events_of(con, row["id"]), principal, clock)
