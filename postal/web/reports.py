"""Page: the staff reports ``/staff/reports`` (SPEC §8): the SLA report of a period, per agency and direction.

- A GET form picks the period (local dates) and, for admins, the agency; it works without JavaScript.
- The table reads the on-time rate the Vietnamese way (``99,49 %``); the chart of on-time rate by week is
  an SVG drawn on the server with text labels (nothing needs JavaScript).
- The late list (open past due, delivered late, rescheduled) links to each shipment, offers a reschedule
  form for open results and the apology letter for rescheduled ones; a link downloads the CSV.
- ``POST /staff/shipments/{code}/reschedule`` is the form's target (CSRF-checked), through the same service
  as the API; it comes back to the report with a message.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp_jinja2
from aiohttp import web
from pydantic import ValidationError

from postal.domain.access import Principal, Role
from postal.edge.headers import PRIVATE_HEADERS
from postal.edge.keys import clock_key, pool_key
from postal.edge.session import check_csrf
from postal.errors import FieldError, InvalidInput, PostalError
from postal.services import reports, reschedule
from postal.services.views import Clock
from postal.web.login import staff_page
from postal.web.staff import DIRECTION_LABELS, STATUS_LABELS

CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM, CHART_LEFT = 640, 240, 24, 40, 44


def vn_number(value: float | None, unit: str = "") -> str:
    """``99.49`` → ``99,49`` (comma decimals, as Vietnamese write them); None → an en dash."""
    if value is None:
        return "–"
    return f"{value:.2f}".replace(".", ",") + unit


def vn_day(d: date) -> str:
    return d.strftime("%d/%m/%Y")




def _period_values(request: web.Request, clock: Clock) -> dict[str, str]:
    """The form's values: the query string, or the current month up to today."""
    today = clock.today()
    return {
        "from": request.query.get("from", today.replace(day=1).isoformat())[:40],
        "to": request.query.get("to", today.isoformat())[:40],
        "agency": request.query.get("agency", "")[:64],
    }


def chart(weeks: list[reports.Week]) -> dict[str, Any]:
    """Geometry of the weekly on-time chart (viewBox units): bars, their labels, the 0/50/100 % grid."""
    inner_w = CHART_WIDTH - CHART_LEFT - 8
    inner_h = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = inner_w / max(len(weeks), 1)
    every = max(1, round(len(weeks) / 12))  # at most ~12 date labels, so they stay readable
    bars = []
    for i, w in enumerate(weeks):
        height = inner_h * (w.rate or 0) / 100
        x = CHART_LEFT + i * slot
        bars.append({
            "x": round(x + slot * 0.15, 1), "w": round(slot * 0.7, 1), "cx": round(x + slot / 2, 1),
            "y": round(CHART_TOP + inner_h - height, 1), "h": round(height, 1),
            "value": vn_number(w.rate, " %") if w.rate is not None else "–",
            "day": w.monday.strftime("%d/%m"), "show_day": i % every == 0, "show_value": len(weeks) <= 16,
            "title": f"Tuần từ {vn_day(w.monday)}: {w.on_time}/{w.delivered} đúng hẹn"
                     + (f" ({vn_number(w.rate, ' %')})" if w.rate is not None else ""),
        })
    grid = [{"y": round(CHART_TOP + inner_h * (1 - p / 100), 1), "label": f"{p} %"} for p in (0, 50, 100)]
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "left": CHART_LEFT, "right": CHART_WIDTH - 8,
            "base": CHART_TOP + inner_h, "bars": bars, "grid": grid}


def _csv_url(period: reports.Period) -> str:
    params = {"from": period.first.isoformat(), "to": period.last.isoformat(), "format": "csv"}
    if period.agency:
        params["agency"] = period.agency
    return "/api/v1/reports/sla?" + urlencode(params)


async def _content(request: web.Request, principal: Principal, values: dict[str, str]) -> dict[str, Any]:
    """The report, chart and late list of the period in ``values`` (raises InvalidInput / NotFound)."""
    clock = request.app[clock_key]
    query = reports.SlaQuery.model_validate({k: v for k, v in values.items() if v or k != "agency"})
    found = await reports.report_page(request.app[pool_key], principal, query, clock)
    return {"period": found.period, "rows": found.rows, "chart": chart(found.weeks), "weeks": found.weeks,
            "late": found.late, "csv_url": _csv_url(found.period), "today": clock.today()}


async def page(request: web.Request) -> web.Response:
    """The report page; a bad period is shown next to the form (422), never a 500."""
    principal, csrf = await staff_page(request)
    clock = request.app[clock_key]
    values = _period_values(request, clock)
    context: dict[str, Any] = {"principal": principal, "csrf": csrf, "v": values, "errors": [], "rows": None,
                               "done": request.query.get("done", "")[:20]}
    status = 200
    try:
        context |= await _content(request, principal, values)
    except ValidationError:
        context["errors"] = [FieldError("from", "Hãy nhập ngày đầu và ngày cuối (YYYY-MM-DD).")]
        status = 422
    except PostalError as exc:
        context["errors"] = exc.errors or [FieldError("", exc.detail)]
        status = exc.status
    if principal.role is Role.admin:
        context["agencies"] = await reports.agency_choices(request.app[pool_key])
    return _render(request, context, status)


def _render(request: web.Request, context: dict[str, Any], status: int) -> web.Response:
    base = {"status_labels": STATUS_LABELS, "direction_labels": DIRECTION_LABELS, "vn_number": vn_number,
            "vn_day": vn_day}
    response = aiohttp_jinja2.render_template("staff_reports.html", request, base | context, status=status)
    response.headers.update(PRIVATE_HEADERS)
    return response


def _back_to_report(request: web.Request, code: str) -> str:
    """The report page the form was on (same host), with a note of what was done."""
    ref = urlsplit(request.headers.get("Referer", ""))
    query = ref.query if ref.path == "/staff/reports" and ref.netloc in ("", request.host) else ""
    kept = [part for part in query.split("&") if part and not part.startswith("done=")]
    return "/staff/reports?" + "&".join([*kept, urlencode({"done": code})])


async def reschedule_form(request: web.Request) -> web.Response:
    """Reschedule from the late list; refusals explained on a page with a way back."""
    principal, csrf = await staff_page(request)
    form = await request.post()
    await check_csrf(request, csrf)
    code = request.match_info["code"]
    try:
        if principal.role is not Role.staff:
            raise InvalidInput("Chỉ cán bộ một cửa của cơ quan được hẹn lại ngày trả kết quả.")
        cmd = reschedule.RescheduleIn.model_validate({"new_date": str(form.get("new_date", "")) or None,
                                                      "reason": str(form.get("reason", ""))})
        shipment = await reschedule.reschedule(request.app[pool_key], principal, code, cmd,
                                               request.app[clock_key])
    except ValidationError:
        return _message(request, principal, csrf, InvalidInput(
            "Hãy chọn ngày hẹn mới (sau hôm nay) và ghi lý do (tối đa 500 ký tự).",
            errors=[FieldError("new_date", "Ngày hẹn mới."), FieldError("reason", "Lý do.")]))
    except PostalError as exc:
        return _message(request, principal, csrf, exc)
    raise web.HTTPSeeOther(_back_to_report(request, shipment["tracking_code"]))


def _message(request: web.Request, principal: Principal, csrf: str, exc: PostalError) -> web.Response:
    response = aiohttp_jinja2.render_template("staff_message.html", request, {
        "principal": principal, "csrf": csrf, "title": exc.title, "detail": exc.detail, "errors": exc.errors,
        "back": "/staff/reports",
    }, status=exc.status)
    response.headers.update(PRIVATE_HEADERS)
    return response


def setup(app: web.Application) -> None:
    """Register this module's routes."""
    app.router.add_get("/staff/reports", page)
    app.router.add_post("/staff/shipments/{code}/reschedule", reschedule_form)
