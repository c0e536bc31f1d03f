"""Use cases for shipments: create (idempotent), read, list, cancel."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Literal, TypeVar

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from postal.domain import codes
from postal.domain.access import Principal, Role, scope_of
from postal.domain.address import resolve_unit
from postal.domain.lifecycle import Event, ShipmentState, Status, apply
from postal.errors import BadRequest, FieldError, InvalidInput, NotFound
from postal.services.calendar import load_calendar
from postal.services.views import Clock, shipment_view
from postal.store import accounts as accounts_store
from postal.store import shipments as store

T = TypeVar("T")
POST_OFFICE_CODE_RE = re.compile(r"[A-Za-z0-9._-]{1,32}")
Text = Field(max_length=2000)


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class AddressIn(_In):
    line: str = Text
    ward_code: str = Field(max_length=10)
    province_code: str = Field(max_length=10)


class CitizenIn(_In):
    name: str = Text
    phone: str = Field(max_length=40)
    id_number: str | None = Field(default=None, max_length=40)
    address: AddressIn


class DocumentIn(_In):
    name: str = Text
    kind: Literal["original", "copy"] = "copy"
    count: int = Field(default=1, ge=1, le=100)


class DossierIn(_In):
    code: str = Field(max_length=200)
    procedure_code: str = Field(default="", max_length=200)
    procedure_name: str = Text
    appointment_date: date | None = None
    documents: list[DocumentIn] = Field(default_factory=list, max_length=100)


class CreateShipment(_In):
    """The body of ``POST /shipments`` (SPEC §5), checked for shape; the rules are checked by the service."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{
        "direction": "delivery",
        "dossier": {"code": "000.00.15.H62-260315-0012", "procedure_code": "1.004227",
                    "procedure_name": "Cấp đổi giấy phép lái xe", "appointment_date": "2026-12-03"},
        "citizen": {"name": "Nguyễn Thị Hồng Nhung", "phone": "0912345678", "id_number": "001199012345",
                    "address": {"line": "Số 12 ngõ 3 đường Hùng Vương", "ward_code": "08707",
                                "province_code": "25"}},
        "cod_amount": 0,
        "note": "Gọi trước khi giao",
    }]})

    direction: Literal["pickup", "delivery"]
    dossier: DossierIn
    citizen: CitizenIn
    post_office_code: str | None = Field(default=None, max_length=32)
    cod_amount: int = Field(default=0, ge=0, le=1_000_000_000)
    fee_payer: Literal["citizen", "agency"] = "citizen"
    fee_exemption: Literal["none", "half", "full"] = "none"
    note: str = Field(default="", max_length=2000)


class _Checks:
    """Runs field checks, collecting every error so the clerk sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def run(self, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except InvalidInput as exc:
            self.errors.extend(exc.errors or [FieldError("", exc.detail)])
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in self.errors), errors=self.errors)


def _citizen_columns(c: CitizenIn, checks: _Checks) -> dict[str, Any]:
    unit = checks.run(lambda: resolve_unit(c.address.province_code, c.address.ward_code, "citizen.address."))
    id_number = c.id_number
    return {
        "citizen_name": checks.run(lambda: codes.clean_text(c.name, "citizen.name")),
        "citizen_phone": checks.run(lambda: codes.normalize_phone(c.phone)),
        "citizen_id_number": checks.run(lambda: codes.normalize_id_number(id_number)) if id_number else None,
        "address_line": checks.run(lambda: codes.clean_text(c.address.line, "citizen.address.line")),
        "ward_code": unit.ward_code if unit else None,
        "province_code": unit.province_code if unit else None,
    }


def _dossier_columns(d: DossierIn, free_form: bool, checks: _Checks) -> dict[str, Any]:
    docs = [
        {"name": checks.run(partial(codes.clean_text, doc.name, f"dossier.documents.{i}.name")),
         "kind": doc.kind, "count": doc.count}
        for i, doc in enumerate(d.documents)
    ]
    return {
        "dossier_code": checks.run(lambda: codes.validate_dossier_code(d.code, free_form=free_form)),
        "procedure_code": checks.run(
            lambda: codes.clean_text(d.procedure_code, "dossier.procedure_code", max_length=64, required=False)
        ),
        "procedure_name": checks.run(
            lambda: codes.clean_text(d.procedure_name, "dossier.procedure_name", max_length=500)
        ),
        "appointment_date": d.appointment_date,
        "documents": docs,
    }


async def _due_date(con: asyncpg.Connection, cmd: CreateShipment, agency: asyncpg.Record, today: date) -> date:
    """Delivery: the appointment date. Pickup: the agency's number of working days from today."""
    if cmd.direction == "delivery":
        if cmd.dossier.appointment_date is None:
            raise codes.invalid("dossier.appointment_date", "Trả kết quả cần ngày hẹn trả (YYYY-MM-DD).")
        return cmd.dossier.appointment_date
    calendar = await load_calendar(con, today)
    return calendar.add_working_days(today, agency["pickup_working_days"])


async def _columns(
    con: asyncpg.Connection, principal: Principal, cmd: CreateShipment, today: date
) -> dict[str, Any]:
    """Validate every rule and return the shipment's columns (without its tracking code)."""
    agency = await accounts_store.get_agency(con, str(principal.agency_code))
    checks = _Checks()
    columns = {"direction": cmd.direction, "agency_code": agency["code"]}
    columns |= _dossier_columns(cmd.dossier, agency["free_form_dossier_codes"], checks)
    columns |= _citizen_columns(cmd.citizen, checks)
    columns["post_office_code"] = await _post_office(con, cmd.post_office_code, agency, checks)
    due = None
    try:
        due = await _due_date(con, cmd, agency, today)
    except InvalidInput as exc:
        checks.errors.extend(exc.errors)
    columns["note"] = checks.run(lambda: codes.clean_text(cmd.note, "note", max_length=1000, required=False,
                                                          multiline=True))
    checks.raise_if_any()
    columns |= {"due_date": due, "cod_amount": cmd.cod_amount, "fee_payer": cmd.fee_payer,
                "fee_exemption": cmd.fee_exemption, "created_by": principal.user_id}
    return columns


async def _post_office(
    con: asyncpg.Connection, code: str | None, agency: asyncpg.Record, checks: _Checks
) -> str | None:
    if code is None:
        return str(agency["post_office_code"])
    if not POST_OFFICE_CODE_RE.fullmatch(code) or not await accounts_store.post_office_exists(con, code):
        checks.errors.append(FieldError("post_office_code", f"Không có bưu cục mã {code[:32]!r}."))
        return None
    return code


def request_hash(cmd: CreateShipment) -> str:
    """A digest of the request as understood, so whitespace or key order do not matter."""
    return hashlib.sha256(cmd.model_dump_json().encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    """A created (or replayed) shipment."""

    shipment: dict[str, Any]
    replayed: bool


async def create_shipment(
    pool: asyncpg.Pool, principal: Principal, cmd: CreateShipment, clock: Clock, idempotency_key: str | None
) -> Created:
    """Create a shipment; the same Idempotency-Key with the same body answers the same shipment."""
    principal.require(Role.staff, Role.integration)
    async with pool.acquire() as con, con.transaction():
        if idempotency_key:
            known = await store.idempotent_shipment(con, principal.user_id, idempotency_key)
            if known is not None:
                return Created(await _replay(con, principal, cmd, known, clock), replayed=True)
        columns = await _columns(con, principal, cmd, clock.today())
        columns["tracking_code"] = codes.make_s10(clock.settings.s10_prefix, await store.next_serial(con))
        shipment_id = await store.insert_shipment(con, columns)
        if idempotency_key:
            await store.remember_key(con, principal.user_id, idempotency_key, request_hash(cmd), shipment_id)
        row = await store.get_by_id(con, shipment_id)
        await store.add_outbox(con, "shipment.created", shipment_id, _outbox_payload(row, None, None))
        return Created(shipment_view(row, [], principal, clock), replayed=False)


async def _replay(
    con: asyncpg.Connection, principal: Principal, cmd: CreateShipment, known: asyncpg.Record, clock: Clock
) -> dict[str, Any]:
    if known["request_hash"] != request_hash(cmd):
        raise InvalidInput(
            "Idempotency-Key này đã được dùng cho một yêu cầu khác; hãy dùng khoá mới cho đơn mới.",
            errors=[FieldError("Idempotency-Key", "Khoá đã dùng với nội dung khác.")],
        )
    row = await store.get_by_id(con, known["shipment_id"])
    return shipment_view(row, await store.events_of(con, row["id"]), principal, clock)


def _outbox_payload(row: asyncpg.Record, event: asyncpg.Record | None, previous: str | None) -> dict[str, Any]:
    """What workers need to notify, without personal data (they read the row when they must)."""
    return {
        "tracking_code": row["tracking_code"],
        "direction": row["direction"],
        "agency_code": row["agency_code"],
        "post_office_code": row["post_office_code"],
        "status": row["status"],
        "previous_status": previous,
        "event": event["event"] if event else None,
        "event_id": event["id"] if event else None,
        "occurred_at": event["occurred_at"].isoformat() if event else row["created_at"].isoformat(),
    }


async def get_shipment(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> dict[str, Any]:
    """One shipment with its timeline, if the principal may see it."""
    code = _code_or_404(code)
    async with pool.acquire() as con:
        row = await store.get_by_code(con, code, scope_of(principal))
        return shipment_view(row, await store.events_of(con, row["id"]), principal, clock)


def _code_or_404(text: str) -> str:
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
    """``q`` as a tracking code, a phone number, or text matched in dossier code and name."""
    if not q or not q.strip():
        return {}
    text = codes.clean_text(q, "q", max_length=200)
    terms: dict[str, Any] = {"text": text}
    if codes.is_s10(text):
        terms["code"] = codes.normalize_s10(text)
    try:
        terms["phone"] = codes.normalize_phone(text, "q")
    except InvalidInput:
        pass
    return terms


async def list_shipments(pool: asyncpg.Pool, principal: Principal, query: ListQuery, clock: Clock) -> dict[str, Any]:
    """A page of shipments, newest first, with ``next_cursor`` when more remain."""
    principal.require(Role.staff, Role.integration, Role.admin)
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
    """Order a non-terminal shipment returned (SPEC §4: any non-terminal status, on staff order)."""
    reason = codes.clean_text(order.reason, "reason", max_length=500)
    return await _staff_order(pool, principal, code, Event.returned, clock, {"reason": reason, "by_staff": True})


async def _staff_order(
    pool: asyncpg.Pool, principal: Principal, code: str, event: Event, clock: Clock, details: dict[str, Any]
) -> dict[str, Any]:
    """Apply a staff-ordered event under the row lock, with its outbox row, and answer the shipment."""
    principal.require(Role.staff, Role.integration)
    code = _code_or_404(code)
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
        await store.add_outbox(con, "shipment.status_changed", row["id"], _outbox_payload(row, stored, previous))
        return shipment_view(row, await store.events_of(con, row["id"]), principal, clock)


async def reset_verification(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> dict[str, Any]:
    """Unlock the handover after too many wrong verifications (the agency has checked with the citizen)."""
    principal.require(Role.staff)
    code = _code_or_404(code)
    async with pool.acquire() as con, con.transaction():
        row = await store.get_by_code(con, code, scope_of(principal), for_update=True)
        had = await store.reset_verification_failures(con, row["id"])
        await store.add_outbox(con, "shipment.verification_reset", row["id"], {
            "tracking_code": code, "agency_code": row["agency_code"], "failures": had,
            "by_user_id": principal.user_id, "at": clock.now().isoformat(),
        })
        row = await store.get_by_id(con, row["id"])
        return shipment_view(row, await store.events_of(con, row["id"]), principal, clock)
