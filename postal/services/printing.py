"""Printing: shipping slips (one or a batch), the pickup slip, and handover manifests (SPEC §5, §10).

Decisions written down here (they are part of the API contract):

- **Who**: staff and integrations (both bound to one agency: the one-stop software may print from its
  own screens) print slips and pickup slips of their agency's shipments, admins of any agency.
  Couriers are refused (403). Another agency's shipment is not found (404), as SPEC §5 says.
- **What the slip says**: ``delivery`` goes from the agency (name, street line, ward, province) to
  the citizen (name, street line, ward, province, phone); ``pickup`` the other way round. The QR code
  holds only the signed link (``qr_payload``), the barcode only the tracking code.
- **Batches** (``POST /labels``): 1–500 codes, in any case and with spaces; a code given twice is
  printed once, at its first place. If any code is refused nothing is rendered, and the problem names
  every refused code (``errors[].field`` = ``tracking_codes.N``, N its place in the request): 404 when
  any is not found (malformed, unknown or another agency's — as for one slip), else 409 (cancelled).
  A cancelled shipment gets no slip (single: 409), so no courier is sent for it.
- **Pickup slip** (phiếu gửi hồ sơ): ``pickup`` shipments only (``delivery``: 409).
- **Manifests**: listed shipments must be visible to the agency (else 404 naming them), of the
  given, existing post office (else 422), and still ``created``, i.e. not yet taken by the courier
  (else 409). A manifest stays open until its shipments are picked up, and since a shipment never
  returns to ``created`` it can be on one manifest at most: already listed → 409 naming the manifest.
  When refusals differ the status is the first of 404, 422, 409 and ``errors`` names them all. The
  shipment rows are locked (in id order) while checking, and a unique index decides any race.
  Manifests are immutable (no update or delete, enforced by triggers). Ids read ``BK-yyyymmdd-nnnn``
  (local day, numbered per day). They are visible to the agency's staff and integrations, the post
  office's couriers, and admins.
- **Print log**: each slip, batch, pickup slip and manifest PDF served writes a ``print_log`` row per
  shipment (document ``label``, ``labels``, ``pickup_slip``, ``manifest``; who; when) after it was
  rendered; a refused request writes nothing. ``GET /shipments/{code}/prints`` shows the history.
- **Work off the event loop**: PDFs are rendered in a worker thread; the font is loaded once per
  process (:func:`warm_up` at start-up).
"""

from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

import labels
from labels.fonts import ensure_fonts
from postal.domain import codes
from postal.domain.access import Principal, Role, Scope, scope_of
from postal.domain.address import address_lines, province_name, ward_name
from postal.domain.signing import qr_payload
from postal.edge_messages import label
from postal.errors import Conflict, FieldError, InvalidInput, NotFound
from postal.services import payments
from postal.services.views import Clock
from postal.store import accounts as accounts_store
from postal.store import manifests as manifest_store
from postal.store import printing as store
from postal.store import shipments as shipments_store

MAX_BATCH = 500
Format = Literal["a6", "a4"]
Code = Annotated[str, Field(max_length=64)]
PRINTERS = (Role.staff, Role.integration, Role.admin)
MANIFEST_MAKERS = (Role.staff, Role.integration)
POST_OFFICE_CODE = re.compile(r"[A-Za-z0-9._-]{1,32}\Z")  # as the post_offices table's CHECK
MANIFEST_ID = re.compile(r"BK-[0-9]{8}-[0-9]{4,9}\Z")


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LabelQuery(_In):
    """Query of ``GET /shipments/{code}/label.pdf``: ``a6`` (one slip per page) or ``a4`` (first quarter)."""

    format: Format = "a6"


class LabelBatch(_In):
    """Body of ``POST /labels``."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"tracking_codes": ["RA000000014VN"], "format": "a4"}]})

    tracking_codes: list[Code] = Field(min_length=1, max_length=MAX_BATCH)
    format: Format = "a6"


class ManifestIn(_In):
    """Body of ``POST /manifests``."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"tracking_codes": ["RA000000014VN"], "post_office_code": "PO-1"}]})

    tracking_codes: list[Code] = Field(min_length=1, max_length=MAX_BATCH)
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


def _address(line: str | None, ward_code: str, province_code: str) -> tuple[str, ...]:
    """Street line then ward and province, each unit printed once (see ``address_lines``)."""
    return address_lines(line or "", ward_name(ward_code), province_name(province_code))


def _citizen_party(row: asyncpg.Record) -> labels.Party:
    lines = _address(row["address_line"], row["ward_code"], row["province_code"])
    return labels.Party(row["citizen_name"], (*lines, f"ĐT: {row['citizen_phone']}"))


def _agency_party(row: asyncpg.Record) -> labels.Party:
    lines = _address(row["agency_address_line"], row["agency_ward_code"], row["agency_province_code"])
    return labels.Party(row["agency_name"], lines)


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


def _shown(text: str) -> str:
    """A refused input as it may appear in a message: printable characters only, cut short."""
    return "".join(ch for ch in text if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)[:40]


def _unique_codes(texts: list[str]) -> list[tuple[int, str]]:
    """(first index, code) per distinct code: canonical S10 when well-formed, else a printable
    rendering of the input (no shipment has it, so it is reported as not found)."""
    seen: set[str] = set()
    out = []
    for i, text in enumerate(texts):
        try:
            code = codes.normalize_s10(text, f"tracking_codes.{i}")
        except InvalidInput:
            code = f"'{_shown(text)}'"
        if code not in seen:
            seen.add(code)
            out.append((i, code))
    return out


def _lookup_codes(wanted: list[tuple[int, str]]) -> list[str]:
    """The codes worth a database lookup (well-formed S10 codes only)."""
    return [code for _, code in wanted if codes.is_s10(code)]


@dataclass
class Refusals:
    """Why listed codes were refused, each with the status it calls for; raised as one problem."""

    what: str
    items: list[tuple[int, FieldError]] = field(default_factory=list)

    def add(self, status: int, index: int | None, message: str, name: str = "") -> None:
        self.items.append((status, FieldError(name or f"tracking_codes.{index}", message)))

    def raise_if_any(self) -> None:
        """404 if any code is not found, else 422 (bad field values), else 409 (state); every refusal named."""
        if not self.items:
            return
        statuses = {status for status, _ in self.items}
        errors = [e for _, e in sorted(self.items, key=lambda item: _position(item[1]))]
        named = ", ".join(label(e.field).lower() for e in errors[:10]) + ("…" if len(errors) > 10 else "")
        detail = f"{self.what}: {len(errors)} lỗi ({named}); không có gì được ghi hay in. " + errors[0].message
        kind = NotFound if 404 in statuses else InvalidInput if 422 in statuses else Conflict
        raise kind(detail, errors=errors)


def _position(e: FieldError) -> int:
    tail = e.field.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def _check_found(wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record], refusals: Refusals) -> None:
    for i, code in wanted:
        if code not in found:
            refusals.add(404, i, f"Không tìm thấy bưu gửi {code} (hoặc không thuộc cơ quan của bạn).")


def _check_not_cancelled(wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record], refusals: Refusals) -> None:
    for i, code in wanted:
        if code in found and found[code]["status"] == "cancelled":
            refusals.add(409, i, f"Bưu gửi {code} đã huỷ; không in nhãn.")


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
    [slip] = await payments.with_payment_qr(pool, [to_slip(row, clock, _local_now(clock))])
    data = await asyncio.to_thread(labels.render_slips, [slip], fmt)
    await _log(pool, principal, [row["id"]], "label")
    return Pdf(f"{row['tracking_code']}.pdf", data)


async def labels_pdf(pool: asyncpg.Pool, principal: Principal, batch: LabelBatch, clock: Clock) -> Pdf:
    """One PDF with the slips of many shipments (A4: four per sheet), all or nothing."""
    principal.require(*PRINTERS)
    wanted = _unique_codes(batch.tracking_codes)
    async with pool.acquire() as con:
        found = await store.printable(con, _lookup_codes(wanted), scope_of(principal))
    refusals = Refusals("Không in được lô nhãn")
    _check_found(wanted, found, refusals)
    _check_not_cancelled(wanted, found, refusals)
    refusals.raise_if_any()
    now = _local_now(clock)
    rows = [found[code] for _, code in wanted]
    slips = await payments.with_payment_qr(pool, [to_slip(r, clock, now) for r in rows])
    data = await asyncio.to_thread(labels.render_slips, slips, batch.format)
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


def _check_listable(
    wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record], post_office: str, refusals: Refusals
) -> None:
    """Listed shipments must be of ``post_office`` (422) and still ``created`` (409)."""
    for i, code in wanted:
        row = found.get(code)
        if row is None:
            continue
        if row["post_office_code"] != post_office:
            refusals.add(422, i, f"Bưu gửi {code} thuộc bưu cục {row['post_office_code']}, không phải {post_office}.")
        elif row["status"] != "created":
            refusals.add(409, i, f"Bưu gửi {code} đang ở trạng thái {row['status']}; "
                                 "bảng kê chỉ nhận bưu gửi chưa được bưu tá nhận (created).")


def _check_unlisted(
    wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record], listed: dict[int, str], refusals: Refusals
) -> None:
    for i, code in wanted:
        if code in found and found[code]["id"] in listed:
            refusals.add(409, i, f"Bưu gửi {code} đã có trong bảng kê {listed[found[code]['id']]}.")


async def _post_office_exists(con: asyncpg.Connection, code: str) -> bool:
    return bool(POST_OFFICE_CODE.match(code)) and await accounts_store.post_office_exists(con, code)


async def create_manifest(pool: asyncpg.Pool, principal: Principal, cmd: ManifestIn, clock: Clock) -> dict[str, Any]:
    """Write a handover manifest of ``created`` shipments for one post office; see the module notes."""
    principal.require(*MANIFEST_MAKERS)
    wanted = _unique_codes(cmd.tracking_codes)
    refusals = Refusals("Không lập được bảng kê")
    async with pool.acquire() as con, con.transaction():
        found = await store.printable(con, _lookup_codes(wanted), scope_of(principal), lock=True)
        _check_found(wanted, found, refusals)
        if not await _post_office_exists(con, cmd.post_office_code):
            refusals.add(404, None, f"Không có bưu cục mã {_shown(cmd.post_office_code)}.", name="post_office_code")
        else:
            _check_listable(wanted, found, cmd.post_office_code, refusals)
        ids = [row["id"] for row in found.values()]
        _check_unlisted(wanted, found, await manifest_store.memberships(con, ids), refusals)
        refusals.raise_if_any()
        new = manifest_store.NewManifest(str(principal.agency_code), cmd.post_office_code, principal.user_id,
                                         [found[code]["id"] for _, code in wanted])
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


def _manifest_id_or_404(text: str) -> str:
    if not MANIFEST_ID.match(text):
        raise NotFound(f"Không tìm thấy bảng kê {_shown(text)}.")
    return text


async def _manifest_view(con: asyncpg.Connection, manifest_id: str, scope: Scope, clock: Clock) -> dict[str, Any]:
    header = await manifest_store.get_manifest(con, manifest_id, scope)
    return _manifest_json(header, await manifest_store.items_of(con, manifest_id), clock)


READERS = (Role.staff, Role.integration, Role.courier, Role.admin)


async def get_manifest(pool: asyncpg.Pool, principal: Principal, manifest_id: str, clock: Clock) -> dict[str, Any]:
    """A manifest as JSON, if the principal's agency or post office is party to it."""
    principal.require(*READERS)
    manifest_id = _manifest_id_or_404(manifest_id)
    async with pool.acquire() as con:
        return await _manifest_view(con, manifest_id, scope_of(principal), clock)


async def manifest_pdf(pool: asyncpg.Pool, principal: Principal, manifest_id: str, clock: Clock) -> Pdf:
    """The manifest as the A4 document both sides sign."""
    principal.require(*READERS)
    manifest_id = _manifest_id_or_404(manifest_id)
    async with pool.acquire() as con:
        header = await manifest_store.get_manifest(con, manifest_id, scope_of(principal))
        items = await manifest_store.items_of(con, manifest_id)
    manifest = labels.Manifest(
        manifest_id=header["id"], agency_name=header["agency_name"], post_office_name=header["post_office_name"],
        created_at=header["created_at"].astimezone(clock.settings.tz),
        items=tuple(labels.ManifestItem(i["tracking_code"], i["dossier_code"], i["citizen_name"],
                                        ward_name(i["ward_code"]), i["direction"], i["cod_amount"]) for i in items),
        created_by=header["created_by_username"],
    )
    data = await asyncio.to_thread(labels.render_manifest, manifest)
    await _log(pool, principal, [i["id"] for i in items], "manifest")
    return Pdf(f"{header['id']}.pdf", data)
