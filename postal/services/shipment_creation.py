"""Creating a shipment (SPEC §5): the order's input, every field checked at once (names, phones,
units, the agency's post office, the due date on the working-day calendar), idempotent replays by
``Idempotency-Key``, and the ``shipment.created`` outbox row."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Literal, TypeVar

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from postal.domain import codes
from postal.domain.access import Principal, Role
from postal.domain.address import resolve_unit
from postal.domain.messages import field_errors, order_key, summary
from postal.errors import BadRequest, FieldError, InvalidInput
from postal.services.calendar import load_calendar
from postal.services.views import Clock, outbox_payload, shipment_view
from postal.store import accounts as accounts_store
from postal.store import shipments as store

T = TypeVar("T")
CREATORS = (Role.staff, Role.integration)
"""Who may create shipments (both bound to one agency)."""
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
    """Create an order for a dossier: a delivery of its result or a pickup of its papers."""

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
    """Runs the rule checks on a body's values, collecting every error so the clerk sees them all at once.

    ``data`` is the body as plain values (the parsed model dumped, or the raw JSON when its shape was
    wrong); a check runs only when its field has the right type and no shape error of its own.
    """

    def __init__(self, data: Any, errors: list[FieldError] | None = None) -> None:
        self.data = data
        self.errors: list[FieldError] = list(errors or [])
        self._shape_errors = {e.field for e in self.errors}

    def shape_error(self, path: str) -> bool:
        """True when ``path`` already failed its type or presence check."""
        return path in self._shape_errors

    def value(self, path: str) -> Any:
        node = self.data
        for key in path.split("."):
            if isinstance(node, dict):
                node = node.get(key)
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return None
        return node

    def text(self, path: str, check: Callable[[str], T]) -> T | None:
        """``check`` of the string at ``path``; None when it is not a string, had a shape error, or fails."""
        value = self.value(path)
        if not isinstance(value, str) or self.shape_error(path):
            return None
        return self.run(lambda: check(value))

    def run(self, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except InvalidInput as exc:
            self.errors.extend(exc.errors or [FieldError("", exc.detail)])
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            errors = sorted(self.errors, key=lambda e: order_key(e.field))
            raise InvalidInput(f"Đơn chưa được tạo. {summary(errors)}", errors=errors)


def _citizen_columns(checks: _Checks) -> dict[str, Any]:
    province, ward = checks.value("citizen.address.province_code"), checks.value("citizen.address.ward_code")
    unit = None
    if isinstance(province, str) and isinstance(ward, str):
        unit = checks.run(lambda: resolve_unit(province, ward, "citizen.address."))
    return {
        "citizen_name": checks.text("citizen.name", partial(codes.clean_text, field="citizen.name")),
        "citizen_phone": checks.text("citizen.phone", codes.normalize_phone),
        "citizen_id_number": checks.text("citizen.id_number", codes.normalize_id_number),
        "address_line": checks.text("citizen.address.line", partial(codes.clean_text, field="citizen.address.line")),
        "ward_code": unit.ward_code if unit else None,
        "province_code": unit.province_code if unit else None,
    }


def _dossier_columns(checks: _Checks, agency: asyncpg.Record) -> dict[str, Any]:
    documents = checks.value("dossier.documents")
    docs = []
    for i, doc in enumerate(documents if isinstance(documents, list) else []):
        path = f"dossier.documents.{i}.name"
        name = checks.text(path, partial(codes.clean_text, field=path))
        if isinstance(doc, dict):
            docs.append({"name": name, "kind": doc.get("kind"), "count": doc.get("count")})
    check_code = partial(codes.validate_dossier_code, free_form=agency["free_form_dossier_codes"],
                         agency_id=agency["dossier_agency_id"] or agency["code"])
    return {
        "dossier_code": checks.text("dossier.code", check_code),
        "procedure_code": checks.text("dossier.procedure_code", partial(
            codes.clean_text, field="dossier.procedure_code", max_length=64, required=False)),
        "procedure_name": checks.text("dossier.procedure_name", partial(
            codes.clean_text, field="dossier.procedure_name", max_length=500)),
        "documents": docs,
    }


async def _due_date(
    con: asyncpg.Connection, cmd: CreateShipment | None, checks: _Checks, agency: asyncpg.Record, today: date
) -> date | None:
    """Delivery: the appointment date. Pickup: the agency's number of working days from today."""
    if checks.value("direction") == "delivery":
        if checks.value("dossier.appointment_date") is None and not checks.shape_error("dossier.appointment_date"):
            checks.errors.append(FieldError("dossier.appointment_date", "Trả kết quả cần ngày hẹn trả (YYYY-MM-DD)."))
        return cmd.dossier.appointment_date if cmd else None
    if cmd is None:
        return None
    calendar = await load_calendar(con, today)
    return calendar.add_working_days(today, agency["pickup_working_days"])


async def _columns(
    con: asyncpg.Connection, principal: Principal, cmd: CreateShipment | None, checks: _Checks, today: date
) -> dict[str, Any]:
    """Check every rule (all errors at once, with the shape errors ``checks`` holds); the shipment's columns."""
    agency = await accounts_store.get_agency(con, str(principal.agency_code))
    columns = {"direction": checks.value("direction"), "agency_code": agency["code"]}
    columns |= _dossier_columns(checks, agency)
    columns |= _citizen_columns(checks)
    columns["post_office_code"] = await _post_office(con, checks, agency)
    due = await _due_date(con, cmd, checks, agency, today)
    columns["note"] = checks.text("note", partial(codes.clean_text, field="note", max_length=1000, required=False,
                                                  multiline=True))
    checks.raise_if_any()
    assert cmd is not None  # no shape errors, so the body parsed
    columns |= {"due_date": due, "appointment_date": cmd.dossier.appointment_date, "cod_amount": cmd.cod_amount,
                "fee_payer": cmd.fee_payer, "fee_exemption": cmd.fee_exemption, "created_by": principal.user_id}
    return columns


async def _post_office(con: asyncpg.Connection, checks: _Checks, agency: asyncpg.Record) -> str | None:
    code = checks.value("post_office_code")
    if code is None:
        return str(agency["post_office_code"])
    if not isinstance(code, str) or checks.shape_error("post_office_code"):
        return None
    if not POST_OFFICE_CODE_RE.fullmatch(code) or not await accounts_store.post_office_exists(con, code):
        checks.errors.append(FieldError("post_office_code", f"Không có bưu cục mã {code[:32]!r}."))
        return None
    return code


def parse_create(raw: bytes | dict[str, Any]) -> tuple[CreateShipment | None, _Checks]:
    """The create body parsed (JSON bytes strictly, a form's dict leniently) and its shape errors.

    Unreadable JSON is BadRequest; shape errors do not stop the rule checks (see :class:`_Checks`).
    """
    try:
        if isinstance(raw, bytes):
            cmd = CreateShipment.model_validate_json(raw, strict=True)
        else:
            cmd = CreateShipment.model_validate(raw)
        return cmd, _Checks(cmd.model_dump(mode="json"))
    except ValidationError as exc:
        if any(e["type"] in ("json_invalid", "string_unicode") and not e["loc"] for e in exc.errors()):
            raise BadRequest("Nội dung gửi lên không phải JSON hợp lệ (UTF-8).") from None
        data = json.loads(raw) if isinstance(raw, bytes) else raw
        if not isinstance(data, dict):
            raise InvalidInput("Nội dung phải là một đối tượng JSON.",
                               errors=[FieldError("body", "Phải là một đối tượng JSON.")]) from None
        return None, _Checks(data, field_errors(exc))


def request_hash(cmd: CreateShipment) -> str:
    """A digest of the request as understood, so whitespace or key order do not matter."""
    return hashlib.sha256(cmd.model_dump_json().encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    """A created (or replayed) shipment."""

    shipment: dict[str, Any]
    replayed: bool


async def create_shipment(
    pool: asyncpg.Pool, principal: Principal, raw: bytes | dict[str, Any], clock: Clock, idempotency_key: str | None
) -> Created:
    """Create a shipment from a JSON body (bytes) or a form's values (dict), naming every bad field at once.

    The same Idempotency-Key with the same body answers the same shipment; a dossier that already has an
    open shipment of the same direction is a Conflict naming it.
    """
    principal.require(*CREATORS)
    cmd, checks = parse_create(raw)
    async with pool.acquire() as con, con.transaction():
        if idempotency_key and cmd is not None:
            known = await store.idempotent_shipment(con, principal.user_id, idempotency_key)
            if known is not None:
                return Created(await _replay(con, principal, cmd, known, clock), replayed=True)
        columns = await _columns(con, principal, cmd, checks, clock.today())
        assert cmd is not None
        columns["tracking_code"] = codes.make_s10(clock.settings.s10_prefix, await store.next_serial(con))
        shipment_id = await store.insert_shipment(con, store.NewShipment(**columns))
        if idempotency_key:
            await store.remember_key(con, principal.user_id, idempotency_key, request_hash(cmd), shipment_id)
        row = await store.get_by_id(con, shipment_id)
        await store.add_outbox(con, "shipment.created", shipment_id, outbox_payload(row, None, None))
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
