"""Handlers of the printing API: slips (one or a batch), the pickup slip, manifests, the print log.

The rules (who, what is refused, what is logged) are in :mod:`postal.services.printing` and
:mod:`postal.services.manifests`.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from postal.api.auth import require
from postal.api.openapi import Operation
from postal.api.validation import parse_body, parse_query
from postal.edge.keys import clock_key, pool_key
from postal.edge.responses import json_response
from postal.services import manifests, printing
from postal.services.printing import Pdf


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class ManifestOut(_Out):
    """A handover manifest (bảng kê giao nhận); ``items`` are tracking codes in listed order."""

    id: str
    agency_code: str
    agency_name: str
    post_office_code: str
    post_office_name: str
    created_at: str
    created_by: str
    count: int
    items: list[str]
    pdf_url: str


class ManifestSummary(_Out):
    """One manifest in the list: as :class:`ManifestOut` without ``items``; ``voided`` once voided."""

    id: str
    post_office_code: str
    created_at: str
    count: int
    pdf_url: str
    voided: bool


class ManifestList(_Out):
    """Manifests, newest first."""

    items: list[ManifestSummary]
    next_cursor: str | None


class ManifestListQuery(BaseModel):
    """Query of ``GET /manifests``."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class PrintOut(_Out):
    document: str
    printed_at: str
    username: str | None


class PrintHistory(_Out):
    """Who printed which document for a shipment (``label``, ``labels``, ``pickup_slip``, ``manifest``)."""

    tracking_code: str
    items: list[PrintOut]


def pdf_response(pdf: Pdf, disposition: str = "inline") -> web.Response:
    """A PDF answer; private, since slips carry names and addresses."""
    return web.Response(body=pdf.data, content_type="application/pdf", headers={
        "Content-Disposition": f'{disposition}; filename="{pdf.filename}"',
        "Cache-Control": "private, no-store",
    })


async def label(request: web.Request) -> web.Response:
    principal = await require(request, *printing.PRINTERS)
    query = parse_query(request, printing.LabelQuery)
    pdf = await printing.label_pdf(request.app[pool_key], principal, request.match_info["code"], query.format,
                                   request.app[clock_key])
    return pdf_response(pdf)


async def batch(request: web.Request) -> web.Response:
    principal = await require(request, *printing.PRINTERS)
    body = await parse_body(request, printing.LabelBatch)
    return pdf_response(await printing.labels_pdf(request.app[pool_key], principal, body, request.app[clock_key]))


async def pickup_slip(request: web.Request) -> web.Response:
    principal = await require(request)
    pdf = await printing.pickup_slip_pdf(request.app[pool_key], principal, request.match_info["code"],
                                         request.app[clock_key])
    return pdf_response(pdf)


async def prints(request: web.Request) -> web.Response:
    principal = await require(request)
    return json_response(await printing.print_history(
        request.app[pool_key], principal, request.match_info["code"], request.app[clock_key]
    ))


async def create_manifest(request: web.Request) -> web.Response:
    principal = await require(request, *manifests.MANIFEST_MAKERS)
    body = await parse_body(request, manifests.ManifestIn)
    manifest = await manifests.create_manifest(request.app[pool_key], principal, body, request.app[clock_key])
    return json_response(manifest, status=201, headers={"Location": f"/api/v1/manifests/{manifest['id']}"})


async def show_manifest(request: web.Request) -> web.Response:
    principal = await require(request)
    return json_response(await manifests.get_manifest(
        request.app[pool_key], principal, request.match_info["manifest_id"], request.app[clock_key]
    ))


async def list_manifests(request: web.Request) -> web.Response:
    principal = await require(request, *manifests.READERS)
    query = parse_query(request, ManifestListQuery)
    return json_response(await manifests.list_manifests(request.app[pool_key], principal, request.app[clock_key],
                                                        limit=query.limit, cursor=query.cursor))


async def void_manifest(request: web.Request) -> web.Response:
    principal = await require(request, *manifests.MANIFEST_MAKERS)
    body = await parse_body(request, manifests.VoidIn)
    return json_response(await manifests.void_manifest(request.app[pool_key], principal,
                                                       request.match_info["manifest_id"], body,
                                                       request.app[clock_key]))


async def manifest_pdf(request: web.Request) -> web.Response:
    principal = await require(request)
    pdf = await manifests.manifest_pdf(request.app[pool_key], principal, request.match_info["manifest_id"],
                                      request.app[clock_key])
    return pdf_response(pdf)


_TAGS = ("labels",)
_READ_ERRORS = (400, 401, 403, 404)

# The .pdf route comes before the JSON one: ``{manifest_id}`` alone would also match ``BK-….pdf``.
OPERATIONS: list[Operation] = [
    Operation("GET", "/shipments/{code}/label.pdf", label, "Nhãn (phiếu gửi) của một bưu gửi: A6 hoặc A4",
              {200: "pdf"}, query=printing.LabelQuery, errors=(400, 401, 403, 404, 409, 422), tags=_TAGS),
    Operation("POST", "/labels", batch, "Một tệp PDF nhiều nhãn (A4: 4 nhãn mỗi trang), tối đa 500",
              {200: "pdf"}, body=printing.LabelBatch, errors=(400, 401, 403, 404, 409, 422), tags=_TAGS),
    Operation("GET", "/shipments/{code}/pickup-slip.pdf", pickup_slip, "Phiếu gửi hồ sơ (chiều thu gom)",
              {200: "pdf"}, errors=(400, 401, 403, 404, 409), tags=_TAGS),
    Operation("GET", "/shipments/{code}/prints", prints, "Lịch sử in của một bưu gửi", {200: PrintHistory},
              errors=_READ_ERRORS, tags=_TAGS),
    Operation("POST", "/manifests", create_manifest, "Lập bảng kê giao nhận cho bưu cục", {201: ManifestOut},
              body=manifests.ManifestIn, errors=(400, 401, 403, 404, 409, 422), tags=_TAGS),
    Operation("GET", "/manifests", list_manifests, "Các bảng kê, mới nhất trước", {200: ManifestList},
              query=ManifestListQuery, errors=(400, 401, 403, 422), tags=_TAGS),
    Operation("POST", "/manifests/{manifest_id}/void", void_manifest,
              "Huỷ một bảng kê lập nhầm (khi bưu tá chưa nhận); các bưu gửi được lập bảng kê lại",
              {200: ManifestOut}, body=manifests.VoidIn, errors=(400, 401, 403, 404, 409, 422), tags=_TAGS),
    Operation("GET", "/manifests/{manifest_id}.pdf", manifest_pdf, "Bảng kê giao nhận (PDF, A4)", {200: "pdf"},
              errors=_READ_ERRORS, tags=_TAGS),
    Operation("GET", "/manifests/{manifest_id}", show_manifest, "Một bảng kê giao nhận", {200: ManifestOut},
              errors=_READ_ERRORS, tags=_TAGS),
]
