"""Handlers of deadline accountability: the SLA report (JSON or CSV), reschedule, the apology letter.

The rules are in :mod:`postal.services.reports` and :mod:`postal.services.reschedule`.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from postal.api.auth import require
from postal.api.labels import pdf_response
from postal.api.openapi import Operation
from postal.api.schemas import ShipmentOut, _Out
from postal.api.validation import parse_body, parse_query
from postal.edge.keys import clock_key, pool_key
from postal.edge.responses import json_response
from postal.services import reports, reschedule


class SlaRowOut(_Out):
    """One agency and direction: counts, on-time handovers, hours to handover, failed attempts."""

    agency_code: str
    direction: str
    total: int
    by_status: dict[str, int]
    delivered_on_time: int
    delivered_late: int
    on_time_rate: float | None
    median_hours: float | None
    p95_hours: float | None
    failed_attempt_rate: float | None
    paid_online: int
    online_payment_rate: float | None


class SlaReportOut(_Out):
    """The SLA report of a period (local dates, inclusive; shipments counted by their creation day)."""

    first: str = Field(alias="from")
    last: str = Field(alias="to")
    rows: list[SlaRowOut]


def _wants_csv(request: web.Request) -> bool:
    """CSV when asked by ``format=csv`` (for plain links) or by an Accept header naming text/csv (not q=0)."""
    if "format" in request.query:
        return request.query["format"] == "csv"
    for part in request.headers.get("Accept", "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if media.lower() == "text/csv" and not any(p.replace(" ", "") in ("q=0", "q=0.0") for p in params):
            return True
    return False


async def sla(request: web.Request) -> web.Response:
    principal = await require(request, *reports.READERS)
    query = parse_query(request, reports.SlaQuery)
    report = await reports.sla_report(request.app[pool_key], principal, query, request.app[clock_key])
    if not _wants_csv(request):
        return json_response(report, headers={"Cache-Control": "private, no-store", "Vary": "Accept"})
    name = f"sla-{report['from']}-{report['to']}.csv"
    return web.Response(body=reports.report_csv(report), content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store",
        "Vary": "Accept",
    })


async def reschedule_one(request: web.Request) -> web.Response:
    principal = await require(request, *reschedule.RESCHEDULERS)
    cmd = await parse_body(request, reschedule.RescheduleIn)
    shipment = await reschedule.reschedule(request.app[pool_key], principal, request.match_info["code"], cmd,
                                           request.app[clock_key])
    return json_response(shipment)


async def apology(request: web.Request) -> web.Response:
    principal = await require(request)
    pdf = await reschedule.apology_pdf(request.app[pool_key], principal, request.match_info["code"],
                                       request.app[clock_key])
    return pdf_response(pdf)


OPERATIONS: list[Operation] = [
    Operation("GET", "/reports/sla", sla, "Báo cáo đúng hẹn theo cơ quan và chiều (JSON; Accept: text/csv cho CSV)",
              {200: SlaReportOut}, query=reports.SlaQuery, errors=(400, 401, 403, 404, 422), tags=("reports",)),
    Operation("POST", "/shipments/{code}/reschedule", reschedule_one,
              "Hẹn lại ngày trả kết quả (kết quả trễ hẹn): ngày mới, lý do, báo công dân", {200: ShipmentOut},
              body=reschedule.RescheduleIn, errors=(400, 401, 403, 404, 409, 422), tags=("reports",)),
    Operation("GET", "/shipments/{code}/apology.pdf", apology,
              "Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04, Thông tư 03/2025/TT-VPCP)", {200: "pdf"},
              errors=(400, 401, 403, 404, 409), tags=("reports",)),
]
