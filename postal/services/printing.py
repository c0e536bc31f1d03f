"""Printing: shipping slips (one or a batch), the pickup slip and the print log (SPEC §5, §10).

Handover manifests are :mod:`postal.services.manifests`'; lists of codes in a request (dedup,
lookup, refusals) are :mod:`postal.services.code_lists`'.

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
from postal.domain.access import Principal, Role, scope_of
from postal.domain.address import address_lines, province_name, ward_name
from postal.domain.privacy import PRINT_ACCESS
from postal.domain.signing import qr_payload
from postal.errors import Conflict, NotFound
from postal.services import audit, payments
from postal.services.code_lists import MAX_LISTED, Code, Refusals, check_found, lookup_codes, unique_codes
from postal.services.shipments import code_or_404
from postal.services.views import Clock
from postal.store import printing as store
from postal.store import shipments as shipments_store

MAX_BATCH = MAX_LISTED
Format = Literal["a6", "a4", "100x150"]
PRINTERS = (Role.staff, Role.integration, Role.admin)


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LabelQuery(_In):
    """Query of ``GET /shipments/{code}/label.pdf``: ``a6`` (one slip per page), ``a4`` (first quarter)
    or ``100x150`` (a thermal label)."""

    format: Format = "a6"


class LabelBatch(_In):
    """Body of ``POST /labels``."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"tracking_codes": ["RA000000014VN"], "format": "a4"}]})

    tracking_codes: list[Code] = Field(min_length=1, max_length=MAX_BATCH)
    format: Format = "a6"


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
        fee_payer=row["fee_payer"],
        fee_exemption=row["fee_exemption"],
    )


def _documents(row: asyncpg.Record) -> tuple[labels.Document, ...]:
    return tuple(labels.Document(d["name"], d["kind"], int(d.get("count", 1))) for d in row["documents"] or [])


# ---------------------------------------------------------------------------
# Codes in, rows out



def _check_not_cancelled(wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record], refusals: Refusals) -> None:
    for i, code in wanted:
        if code in found and found[code]["status"] == "cancelled":
            refusals.add(Conflict, i, f"Bưu gửi {code} đã huỷ; không in nhãn.")


async def _one(pool: asyncpg.Pool, principal: Principal, code: str) -> asyncpg.Record:
    code = code_or_404(code)
    async with pool.acquire() as con:
        found = await store.printable(con, [code], scope_of(principal))
    if code not in found:
        raise NotFound(f"Không tìm thấy bưu gửi {code}.")
    return found[code]


async def log_prints(pool: asyncpg.Pool, principal: Principal, ids: list[int], document: str,
                     fmt: str | None = None) -> None:
    """One ``print_log`` row per shipment for a document served (after it was rendered), with its paper format,
    and its access record."""
    async with pool.acquire() as con:
        await store.record_prints(con, ids, document, principal.user_id, fmt)
        await audit.record(con, principal, ids, PRINT_ACCESS.get(document, document))


def local_now(clock: Clock) -> datetime:
    """Now on the local clock (what a printed document shows)."""
    return clock.now().astimezone(clock.settings.tz)


# ---------------------------------------------------------------------------
# Slips


async def label_pdf(pool: asyncpg.Pool, principal: Principal, code: str, fmt: Format, clock: Clock) -> Pdf:
    """The slip of one shipment: an A6 page, or the first quarter of an A4 sheet."""
    principal.require(*PRINTERS)
    row = await _one(pool, principal, code)
    if row["status"] == "cancelled":
        raise Conflict(f"Bưu gửi {row['tracking_code']} đã huỷ; không in nhãn.")
    [slip] = await payments.with_payment_qr(pool, [to_slip(row, clock, local_now(clock))])
    data = await asyncio.to_thread(labels.render_slips, [slip], fmt)
    await log_prints(pool, principal, [row["id"]], "label", fmt)
    return Pdf(f"phieu-gui-{row['tracking_code']}-{fmt}.pdf", data)


async def labels_pdf(pool: asyncpg.Pool, principal: Principal, batch: LabelBatch, clock: Clock) -> Pdf:
    """One PDF with the slips of many shipments (A4: four per sheet), all or nothing."""
    principal.require(*PRINTERS)
    wanted = unique_codes(batch.tracking_codes)
    async with pool.acquire() as con:
        found = await store.printable(con, lookup_codes(wanted), scope_of(principal))
    refusals = Refusals("Không in được lô nhãn")
    check_found(wanted, found, refusals)
    _check_not_cancelled(wanted, found, refusals)
    refusals.raise_if_any()
    now = local_now(clock)
    rows = [found[code] for _, code in wanted]
    slips = await payments.with_payment_qr(pool, [to_slip(r, clock, now) for r in rows])
    data = await asyncio.to_thread(labels.render_slips, slips, batch.format)
    await log_prints(pool, principal, [r["id"] for r in rows], "labels", batch.format)
    return Pdf(f"phieu-gui-{len(rows)}-buu-gui-{batch.format}-{now:%Y%m%d-%H%M}.pdf", data)


async def pickup_slip_pdf(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> Pdf:
    """The pickup receipt (phiếu gửi hồ sơ) with the dossier's document list; ``pickup`` only."""
    principal.require(*PRINTERS)
    row = await _one(pool, principal, code)
    if row["direction"] != "pickup":
        raise Conflict(f"Bưu gửi {row['tracking_code']} là phát trả kết quả (delivery); "
                       "phiếu gửi hồ sơ chỉ dùng cho thu gom hồ sơ (pickup).")
    slip = labels.PickupSlip(to_slip(row, clock, local_now(clock)), _documents(row))
    data = await asyncio.to_thread(labels.render_pickup_slip, slip)
    await log_prints(pool, principal, [row["id"]], "pickup_slip")
    return Pdf(f"phieu-gui-ho-so-{row['tracking_code']}.pdf", data)


async def print_history(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> dict[str, Any]:
    """Who printed which document for a shipment, and when (oldest first)."""
    principal.require(*PRINTERS)
    code = code_or_404(code)
    async with pool.acquire() as con:
        row = await shipments_store.get_by_code(con, code, scope_of(principal))
        prints = await store.prints_of(con, row["id"])
    return {"tracking_code": code, "items": [
        {"document": p["document"], "format": p["format"], "printed_at": clock.local(p["printed_at"]),
         "username": p["username"]}
        for p in prints
    ]}
