"""Printing: shipping slips (one or a batch), the pickup slip, and handover manifests (SPEC §5, §10).

Decisions written down here (they are part of the API contract):

- **Who**: staff and integrations (both bound to one agency: the one-stop software may print from its
  own screens) print slips and pickup slips of their agency's shipments, admins of any agency.
  Couriers are refused (403). Another agency's shipment is a 404 (single) or a named 422 (batch).
- **What the slip says**: ``delivery`` goes from the agency (name, street line, ward, province) to
  the citizen (name, street line, ward, province, phone); ``pickup`` the other way round. The QR code
  holds only the signed link (``qr_payload``), the barcode only the tracking code.
- **Batches** (``POST /labels``): 1–500 codes, in any case and with spaces; a code given twice is
  printed once, at its first place. If any code is malformed, unknown, another agency's or
  cancelled, nothing is rendered and the answer is 422 naming each (``tracking_codes.N``).
  A cancelled shipment gets no slip (single: 409), so no courier is sent for it.
- **Pickup slip** (phiếu gửi hồ sơ): ``pickup`` shipments only (``delivery``: 409).
- **Manifests**: listed shipments must be the agency's, of the given post office, and still
  ``created`` (not yet taken by the courier) — else 422 naming them. A manifest stays open until
  its shipments are picked up, and since a shipment never returns to ``created`` it can be on one
  manifest at most: already listed → 409 naming the manifest. The shipment rows are locked while
  checking, and a unique index decides any race. Manifests are immutable (no update or delete,
  enforced by triggers). Ids read ``BK-yyyymmdd-nnnn`` (local day, numbered per day). They are
  visible to the agency's staff and integrations, the post office's couriers, and admins.
- **Print log**: each slip, batch, pickup slip and manifest PDF served writes a ``print_log`` row per
  shipment (document ``label``, ``labels``, ``pickup_slip``, ``manifest``; who; when) after it was
  rendered; a refused request writes nothing. ``GET /shipments/{code}/prints`` shows the history.
- **Work off the event loop**: PDFs are rendered in a worker thread; the font is loaded once per
  process (:func:`warm_up` at start-up).
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

import labels
from labels.fonts import ensure_fonts
from postal.domain import codes
from postal.domain.access import Principal, Role, Scope, scope_of
from postal.domain.address import province_name, ward_name
from postal.domain.signing import qr_payload
from postal.errors import Conflict, FieldError, InvalidInput, NotFound
from postal.services.views import Clock
from postal.store import accounts as accounts_store
from postal.store import manifests as manifest_store
from postal.store import printing as store
from postal.store import shipments as shipments_store

MAX_BATCH = 500
Format = Literal["a6", "a4"]
PRINTERS = (Role.staff, Role.integration, Role.admin)
MANIFEST_MAKERS = (Role.staff, Role.integration)


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LabelQuery(_In):
    """Query of ``GET /shipments/{code}/label.pdf``: ``a6`` (one slip per page) or ``a4`` (first quarter)."""

    format: Format = "a6"


class LabelBatch(_In):
    """Body of ``POST /labels``."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"tracking_codes": ["RA000000015VN", "RA000000029VN"], "format": "a4"}]})

    tracking_codes: list[str] = Field(min_length=1, max_length=MAX_BATCH)
    format: Format = "a6"


class ManifestIn(_In):
    """Body of ``POST /manifests``."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"tracking_codes": ["RA000000015VN"], "post_office_code": "VP-01"}]})

    tracking_codes: list[str] = Field(min_length=1, max_length=MAX_BATCH)
    post_office_code: str = Field(min_length=1, max_length=32)


@dataclass(frozen=True)
class Pdf:
    """A rendered document and the file name it is served under."""

    filename: str
    data: bytes


@functools.cache
def warm_up() -> None:
    """Load the fonts and draw one slip, once per process, so the first request pays nothing (in a thread)."""
    from labels.samples import sample_slip

    ensure_fonts()
    labels.render_slips([sample_slip()], "a6")


# ---------------------------------------------------------------------------
# Shipment → slip


def _unit_line(ward_code: str, province_code: str) -> str:
    return f"{ward_name(ward_code)}, {province_name(province_code)}"


def _citizen_party(row: asyncpg.Record) -> labels.Party:
    return labels.Party(row["citizen_name"], (
        row["address_line"], _unit_line(row["ward_code"], row["province_code"]), f"ĐT: {row['citizen_phone']}",
    ))


def _agency_party(row: asyncpg.Record) -> labels.Party:
    lines = (row["agency_address_line"], _unit_line(row["agency_ward_code"], row["agency_province_code"]))
    return labels.Party(row["agency_name"], tuple(line for line in lines if line.strip()))


def to_slip(row: asyncpg.Record, clock: Clock, printed_at: datetime) -> labels.Slip:
    """A shipment row (with its agency's address) as the renderer's slip."""
    citizen, agency = _citizen_party(row), _agency_party(row)
    sender, receiver = (citizen, agency) if row["direction"] == "pickup" else (agency, citizen)
    settings = clock.settings
    return labels.Slip(
        tracking_code=row["tracking_code"],
        qr_payload=qr_payload(settings.public_url, row["tracking_code"], settings.key),
        direction=row["direction"],
        sender=sender,
        receiver=receiver,
        dossier_code=row["dossier_code"],
        procedure_name=row["procedure_name"],
        appointment_date=row["appointment_date"],
        cod_amount=row["cod_amount"],
        agency_name=row["agency_name"],
        post_office_name=row["post_office_name"],
        printed_at=printed_at,
        note=row["note"],
    )


def _documents(row: asyncpg.Record) -> tuple[labels.Document, ...]:
    return tuple(labels.Document(d["name"], d["kind"], int(d.get("count", 1))) for d in row["documents"] or [])


# ---------------------------------------------------------------------------
# Codes in, rows out


def _code_or_404(text: str) -> str:
    try:
        return codes.normalize_s10(text)
    except InvalidInput:
        raise NotFound(f"Không tìm thấy bưu gửi {text[:40]!r}.") from None


def _unique_codes(texts: list[str]) -> tuple[list[tuple[int, str]], list[FieldError]]:
    """(first index, canonical code) for each distinct code, and an error per malformed one."""
    seen: set[str] = set()
    out, errors = [], []
    for i, text in enumerate(texts):
        try:
            code = codes.normalize_s10(text, f"tracking_codes.{i}")
        except InvalidInput:
            errors.append(FieldError(f"tracking_codes.{i}", f"'{text[:40]}' không phải mã bưu gửi hợp lệ."))
            continue
        if code not in seen:
            seen.add(code)
            out.append((i, code))
    return out, errors


def _refuse(errors: list[FieldError], what: str) -> InvalidInput:
    named = ", ".join(e.field for e in errors[:10]) + ("…" if len(errors) > 10 else "")
    return InvalidInput(f"{what}: {len(errors)} mã không dùng được ({named}); không có gì được in.", errors=errors)


def _missing(wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record]) -> list[FieldError]:
    return [
        FieldError(f"tracking_codes.{i}", f"Không tìm thấy bưu gửi {code} (hoặc không thuộc cơ quan của bạn).")
        for i, code in wanted if code not in found
    ]


def _cancelled(wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record]) -> list[FieldError]:
    return [
        FieldError(f"tracking_codes.{i}", f"Bưu gửi {code} đã huỷ; không in nhãn.")
        for i, code in wanted if code in found and found[code]["status"] == "cancelled"
    ]


async def _one(pool: asyncpg.Pool, principal: Principal, code: str) -> asyncpg.Record:
    code = _code_or_404(code)
    async with pool.acquire() as con:
        found = await store.printable(con, [code], scope_of(principal))
    if code not in found:
        raise NotFound(f"Không tìm thấy bưu gửi {code}.")
    return found[code]


async def _log(pool: asyncpg.Pool, principal: Principal, ids: list[int], document: str) -> None:
    async with pool.acquire() as con:
        await store.record_prints(con, ids, document, principal.user_id)


def _local_now(clock: Clock) -> datetime:
    return clock.now().astimezone(clock.settings.tz)


# ---------------------------------------------------------------------------
# Slips


async def label_pdf(pool: asyncpg.Pool, principal: Principal, code: str, fmt: Format, clock: Clock) -> Pdf:
    """The slip of one shipment: an A6 page, or the first quarter of an A4 sheet."""
    principal.require(*PRINTERS)
    row = await _one(pool, principal, code)
    if row["status"] == "cancelled":
        raise Conflict(f"Bưu gửi {row['tracking_code']} đã huỷ; không in nhãn.")
    slip = to_slip(row, clock, _local_now(clock))
    data = await asyncio.to_thread(labels.render_slips, [slip], fmt)
    await _log(pool, principal, [row["id"]], "label")
    return Pdf(f"{row['tracking_code']}.pdf", data)


async def labels_pdf(pool: asyncpg.Pool, principal: Principal, batch: LabelBatch, clock: Clock) -> Pdf:
    """One PDF with the slips of many shipments (A4: four per sheet), all or nothing."""
    principal.require(*PRINTERS)
    wanted, errors = _unique_codes(batch.tracking_codes)
    async with pool.acquire() as con:
        found = await store.printable(con, [c for _, c in wanted], scope_of(principal))
    errors = sorted(errors + _missing(wanted, found) + _cancelled(wanted, found),
                    key=lambda e: int(e.field.rsplit(".", 1)[1]))
    if errors:
        raise _refuse(errors, "Không in được lô nhãn")
    now = _local_now(clock)
    rows = [found[code] for _, code in wanted]
    data = await asyncio.to_thread(labels.render_slips, [to_slip(r, clock, now) for r in rows], batch.format)
    await _log(pool, principal, [r["id"] for r in rows], "labels")
    return Pdf(f"nhan-{now:%Y%m%d-%H%M}-{len(rows)}.pdf", data)


async def pickup_slip_pdf(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> Pdf:
    """The pickup receipt (phiếu gửi hồ sơ) with the dossier's document list; ``pickup`` only."""
    principal.require(*PRINTERS)
    row = await _one(pool, principal, code)
    if row["direction"] != "pickup":
        raise Conflict(f"Bưu gửi {row['tracking_code']} là phát trả kết quả (delivery); "
                       "phiếu gửi hồ sơ chỉ dùng cho thu gom hồ sơ (pickup).")
    slip = labels.PickupSlip(to_slip(row, clock, _local_now(clock)), _documents(row))
    data = await asyncio.to_thread(labels.render_pickup_slip, slip)
    await _log(pool, principal, [row["id"]], "pickup_slip")
    return Pdf(f"phieu-gui-{row['tracking_code']}.pdf", data)


async def print_history(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> dict[str, Any]:
    """Who printed which document for a shipment, and when (oldest first)."""
    principal.require(*PRINTERS)
    code = _code_or_404(code)
    async with pool.acquire() as con:
        row = await shipments_store.get_by_code(con, code, scope_of(principal))
        prints = await store.prints_of(con, row["id"])
    return {"tracking_code": code, "items": [
        {"document": p["document"], "printed_at": clock.local(p["printed_at"]), "username": p["username"]}
        for p in prints
    ]}


# ---------------------------------------------------------------------------
# Manifests


def _manifest_errors(
    wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record], post_office: str
) -> list[FieldError]:
    """Why listed shipments may not go on a manifest to ``post_office`` (missing, other office, not created)."""
    errors = _missing(wanted, found)
    for i, code in wanted:
        row = found.get(code)
        if row is None:
            continue
        if row["post_office_code"] != post_office:
            message = f"Bưu gửi {code} thuộc bưu cục {row['post_office_code']}, không phải {post_office}."
            errors.append(FieldError(f"tracking_codes.{i}", message))
        elif row["status"] != "created":
            errors.append(FieldError(f"tracking_codes.{i}", f"Bưu gửi {code} đang ở trạng thái {row['status']}; "
                                     "bảng kê chỉ nhận bưu gửi chưa được bưu tá nhận (created)."))
    return errors


def _already_listed(wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record],
                    listed: dict[int, str]) -> list[FieldError]:
    return [
        FieldError(f"tracking_codes.{i}", f"Bưu gửi {code} đã có trong bảng kê {listed[found[code]['id']]}.")
        for i, code in wanted if found[code]["id"] in listed
    ]


async def _check_post_office(con: asyncpg.Connection, code: str) -> None:
    if not await accounts_store.post_office_exists(con, code):
        raise InvalidInput(f"Không có bưu cục mã {code[:32]}.",
                           errors=[FieldError("post_office_code", f"Không có bưu cục mã {code[:32]}.")])


async def create_manifest(pool: asyncpg.Pool, principal: Principal, cmd: ManifestIn, clock: Clock) -> dict[str, Any]:
    """Write a handover manifest of ``created`` shipments for one post office; see the module notes."""
    principal.require(*MANIFEST_MAKERS)
    wanted, errors = _unique_codes(cmd.tracking_codes)
    if errors:
        raise _refuse(errors, "Không lập được bảng kê")
    async with pool.acquire() as con, con.transaction():
        await _check_post_office(con, cmd.post_office_code)
        found = await store.printable(con, [c for _, c in wanted], scope_of(principal), lock=True)
        errors = _manifest_errors(wanted, found, cmd.post_office_code)
        if errors:
            raise _refuse(sorted(errors, key=lambda e: int(e.field.rsplit(".", 1)[1])), "Không lập được bảng kê")
        ids = [found[code]["id"] for _, code in wanted]
        conflicts = _already_listed(wanted, found, await manifest_store.memberships(con, ids))
        if conflicts:
            raise Conflict("Một bưu gửi chỉ nằm trong một bảng kê: "
                           + ", ".join(e.message for e in conflicts[:5]), errors=conflicts)
        new = manifest_store.NewManifest(str(principal.agency_code), cmd.post_office_code, principal.user_id, ids)
        manifest_id = await manifest_store.insert_manifest(con, new, clock.today())
        return await _manifest_view(con, manifest_id, Scope(), clock)


def _manifest_json(header: asyncpg.Record, items: list[asyncpg.Record], clock: Clock) -> dict[str, Any]:
    return {
        "id": header["id"],
        "agency_code": header["agency_code"],
        "agency_name": header["agency_name"],
        "post_office_code": header["post_office_code"],
        "post_office_name": header["post_office_name"],
        "created_at": clock.local(header["created_at"]),
        "created_by": header["created_by_username"],
        "count": len(items),
        "items": [i["tracking_code"] for i in items],
        "pdf_url": f"/api/v1/manifests/{header['id']}.pdf",
    }


async def _manifest_view(con: asyncpg.Connection, manifest_id: str, scope: Scope, clock: Clock) -> dict[str, Any]:
    header = await manifest_store.get_manifest(con, manifest_id, scope)
    return _manifest_json(header, await manifest_store.items_of(con, manifest_id), clock)


READERS = (Role.staff, Role.integration, Role.courier, Role.admin)


async def get_manifest(pool: asyncpg.Pool, principal: Principal, manifest_id: str, clock: Clock) -> dict[str, Any]:
    """A manifest as JSON, if the principal's agency or post office is party to it."""
    principal.require(*READERS)
    async with pool.acquire() as con:
        return await _manifest_view(con, manifest_id, scope_of(principal), clock)


async def manifest_pdf(pool: asyncpg.Pool, principal: Principal, manifest_id: str, clock: Clock) -> Pdf:
    """The manifest as the A4 document both sides sign."""
    principal.require(*READERS)
    async with pool.acquire() as con:
        header = await manifest_store.get_manifest(con, manifest_id, scope_of(principal))
        items = await manifest_store.items_of(con, manifest_id)
    manifest = labels.Manifest(
        manifest_id=header["id"], agency_name=header["agency_name"], post_office_name=header["post_office_name"],
        created_at=header["created_at"].astimezone(clock.settings.tz),
        items=tuple(labels.ManifestItem(i["tracking_code"], i["dossier_code"], i["citizen_name"],
                                        ward_name(i["ward_code"])) for i in items),
        created_by=header["created_by_username"],
    )
    data = await asyncio.to_thread(labels.render_manifest, manifest)
    await _log(pool, principal, [i["id"] for i in items], "manifest")
    return Pdf(f"{header['id']}.pdf", data)
