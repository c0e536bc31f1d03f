"""Handover manifests (bảng kê, SPEC §5, §10): lists of ``created`` shipments a post office's courier
takes, as JSON and as the A4 PDF both sides sign.

Listed shipments must be visible to the agency (else 404 naming them), of the
given, existing post office (else 422), and still ``created``, i.e. not yet taken by the courier
(else 409). A manifest stays open until its shipments are picked up, and since a shipment never
returns to ``created`` it can be on one manifest at most: already listed → 409 naming the manifest.
When refusals differ the status is the first of 404, 422, 409 and ``errors`` names them all. The
shipment rows are locked (in id order) while checking, and a unique index decides any race.
Manifests are immutable (no update or delete, enforced by triggers). A mistaken one is voided by a
new ``manifest_voids`` row while none of its shipments has been taken yet; its shipments can then go
on a new manifest (the live listing is ``manifest_claims``, migration 016). Ids read ``BK-yyyymmdd-nnnn``
(local day, numbered per day). They are visible to the agency's staff and integrations, the post
office's couriers, and admins.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

import labels
from postal.domain.access import Principal, Role, Scope, scope_of
from postal.domain.address import ward_name
from postal.errors import BadRequest, Conflict, FieldError, InvalidInput, NotFound
from postal.services.code_lists import MAX_LISTED, Code, Refusals, check_found, lookup_codes, shown, unique_codes
from postal.services.printing import Pdf, log_prints
from postal.services.views import Clock
from postal.store import accounts as accounts_store
from postal.store import manifests as manifest_store
from postal.store import printing as store

MANIFEST_MAKERS = (Role.staff, Role.integration)
READERS = (Role.staff, Role.integration, Role.courier, Role.admin)
POST_OFFICE_CODE = re.compile(r"[A-Za-z0-9._-]{1,32}\Z")  # as the post_offices table's CHECK
MANIFEST_ID = re.compile(r"BK-[0-9]{8}-[0-9]{4,9}\Z")


class ManifestIn(BaseModel):
    """Body of ``POST /manifests``."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"tracking_codes": ["RA000000014VN"], "post_office_code": "PO-1"}]})

    tracking_codes: list[Code] = Field(min_length=1, max_length=MAX_LISTED)
    post_office_code: str = Field(min_length=1, max_length=32)


def _check_listable(
    wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record], post_office: str, refusals: Refusals
) -> None:
    """Listed shipments must be of ``post_office`` (422) and still ``created`` (409)."""
    for i, code in wanted:
        row = found.get(code)
        if row is None:
            continue
        if row["post_office_code"] != post_office:
            refusals.add(InvalidInput, i,
                         f"Bưu gửi {code} thuộc bưu cục {row['post_office_code']}, không phải {post_office}.")
        elif row["status"] != "created":
            refusals.add(Conflict, i, f"Bưu gửi {code} đang ở trạng thái {row['status']}; "
                                 "bảng kê chỉ nhận bưu gửi chưa được bưu tá nhận (created).")


def _check_unlisted(
    wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record], listed: dict[int, str], refusals: Refusals
) -> None:
    for i, code in wanted:
        if code in found and found[code]["id"] in listed:
            refusals.add(Conflict, i, f"Bưu gửi {code} đã có trong bảng kê {listed[found[code]['id']]}.")


async def _post_office_exists(con: asyncpg.Connection, code: str) -> bool:
    return bool(POST_OFFICE_CODE.match(code)) and await accounts_store.post_office_exists(con, code)


async def create_manifest(pool: asyncpg.Pool, principal: Principal, cmd: ManifestIn, clock: Clock) -> dict[str, Any]:
    """Write a handover manifest of ``created`` shipments for one post office; see the module notes."""
    principal.require(*MANIFEST_MAKERS)
    wanted = unique_codes(cmd.tracking_codes)
    refusals = Refusals("Không lập được bảng kê")
    async with pool.acquire() as con, con.transaction():
        found = await store.printable(con, lookup_codes(wanted), scope_of(principal), lock=True)
        check_found(wanted, found, refusals)
        if not await _post_office_exists(con, cmd.post_office_code):
            refusals.add(NotFound, None, f"Không có bưu cục mã {shown(cmd.post_office_code)}.", name="post_office_code")
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
        "voided": header["voided_at"] is not None,
        "void": None if header["voided_at"] is None else {
            "reason": header["void_reason"], "voided_at": clock.local(header["voided_at"]),
            "voided_by": header["voided_by_username"]},
    }


def _manifest_id_or_404(text: str) -> str:
    if not MANIFEST_ID.match(text):
        raise NotFound(f"Không tìm thấy bảng kê {shown(text)}.")
    return text


async def _manifest_view(con: asyncpg.Connection, manifest_id: str, scope: Scope, clock: Clock) -> dict[str, Any]:
    header = await manifest_store.get_manifest(con, manifest_id, scope)
    return _manifest_json(header, await manifest_store.items_of(con, manifest_id), clock)


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
                                        ward_name(i["ward_code"]), i["direction"], i["cod_amount"],
                                        i["fee_payer"], i["fee_exemption"]) for i in items),
        created_by=header["created_by_username"],
    )
    data = await asyncio.to_thread(labels.render_manifest, manifest)
    await log_prints(pool, principal, [i["id"] for i in items], "manifest")
    return Pdf(f"bang-ke-{header['id']}.pdf", data)


def _encode_cursor(row: asyncpg.Record) -> str:
    raw = f"{row['created_at'].isoformat()}|{row['id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        stamp, _, manifest_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition("|")
        if not MANIFEST_ID.match(manifest_id):
            raise ValueError(cursor)
        return datetime.fromisoformat(stamp), manifest_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("Con trỏ phân trang (cursor) không hợp lệ: dùng đúng giá trị next_cursor đã nhận.",
                         errors=[FieldError("cursor", "Không hợp lệ.")]) from None


async def list_manifests(pool: asyncpg.Pool, principal: Principal, clock: Clock, *, limit: int = 50,
                         cursor: str | None = None) -> dict[str, Any]:
    """The manifests the principal may read, newest first, ``{"items", "next_cursor"}`` (items without codes)."""
    principal.require(*READERS)
    before = _decode_cursor(cursor) if cursor else None
    async with pool.acquire() as con:
        rows = await manifest_store.list_manifests(con, scope_of(principal), before, limit)
    page = rows[:limit]
    items = []
    for row in page:
        view = _manifest_json(row, [], clock)
        del view["items"]
        items.append({**view, "count": row["item_count"]})
    return {"items": items, "next_cursor": _encode_cursor(page[-1]) if len(rows) > limit else None}


class VoidIn(BaseModel):
    """Body of ``POST /manifests/{id}/void``: why the manifest was a mistake."""

    model_config = ConfigDict(extra="ignore")

    reason: str = Field(min_length=1, max_length=500)


async def void_manifest(pool: asyncpg.Pool, principal: Principal, manifest_id: str, cmd: VoidIn,
                        clock: Clock) -> dict[str, Any]:
    """Void a manifest of the principal's agency while none of its shipments has been taken (else 409)."""
    principal.require(*MANIFEST_MAKERS)
    manifest_id = _manifest_id_or_404(manifest_id)
    reason = " ".join(cmd.reason.split())
    if not reason:
        raise InvalidInput("Hãy ghi lý do huỷ bảng kê.", errors=[FieldError("reason", "Chưa ghi lý do.")])
    async with pool.acquire() as con, con.transaction():
        header = await manifest_store.get_manifest(con, manifest_id, scope_of(principal))
        if header["voided_at"] is not None:
            raise Conflict(f"Bảng kê {manifest_id} đã huỷ trước đó.")
        taken = [i["tracking_code"] for i in await manifest_store.items_of(con, manifest_id)
                 if i["status"] != "created"]
        if taken:
            raise Conflict(f"Không huỷ được bảng kê {manifest_id}: bưu tá đã nhận {', '.join(taken[:5])}"
                           f"{'…' if len(taken) > 5 else ''}.")
        await manifest_store.insert_void(con, manifest_id, reason, principal.user_id)
        return await _manifest_view(con, manifest_id, scope_of(principal), clock)


async def live_manifests(pool: asyncpg.Pool, shipment_ids: list[int]) -> dict[int, str]:
    """shipment id → the live (not voided) manifest listing it, for the staff list's marks."""
    if not shipment_ids:
        return {}
    async with pool.acquire() as con:
        return await manifest_store.memberships(con, shipment_ids)
