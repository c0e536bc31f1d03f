"""The SLA report (SPEC §6): ``GET /reports/sla?from=&to=`` as JSON or CSV, the weekly chart, the late list.

Decisions (SPEC is silent; written in the README notes too):

- ``from`` and ``to`` are local dates (``POSTAL_TIMEZONE``), both required, inclusive, ``from <= to``;
  anything else is 422 naming the field. A shipment counts in the period of its creation (local day).
- **On time** = handed over (the applied ``delivered`` event's device time, local day) on or before the
  ORIGINAL due date: a reschedule moves the date in force but not the promise the rate is measured
  against (the province reports against the appointment date). Returned and cancelled shipments are
  counted in ``by_status`` only; ``on_time_rate`` is over delivered shipments and null when none.
- ``median_hours`` / ``p95_hours``: hours from creation to handover over delivered shipments, continuous
  percentiles (``percentile_cont``), two decimals; null when none.
- ``failed_attempt_rate``: failed handover attempts / all handover attempts (failed + successful), in
  percent with two decimals like ``on_time_rate``; null when no attempt was made.
- ``paid_online`` / ``online_payment_rate`` (SPEC §12): shipments with a confirmed VietQR payment, and
  their percent of the shipments with an amount to pay (``cod_amount`` > 0, not cancelled); null when none.
- Staff see their agency; admins all agencies, or one with ``agency=``. A staff member naming another
  agency, or an admin naming an unknown one, gets 404. Rows exist for agency/direction pairs with at
  least one shipment in the period, ordered by agency code then direction.
- CSV (``Accept: text/csv`` or ``format=csv``): UTF-8 with a BOM (Excel), a header row of the JSON field
  names, ``by_status.<status>`` columns, decimals with a dot, empty cells for null.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from postal.domain.access import Principal, Role
from postal.domain.deadlines import OPEN_STATUSES, percent
from postal.errors import FieldError, InvalidInput, NotFound
from postal.services.views import Clock
from postal.store import reports as store

READERS = (Role.staff, Role.admin)
LATE_LIST_LIMIT = 200
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AGENCY = re.compile(r"[A-Za-z0-9._-]{1,32}")


class SlaQuery(BaseModel):
    """Query of ``GET /reports/sla``: the period (local dates, inclusive), and for admins one agency."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    first: str = Field(alias="from", max_length=40, description="Ngày đầu (YYYY-MM-DD, giờ địa phương)")
    last: str = Field(alias="to", max_length=40, description="Ngày cuối, tính cả ngày này (YYYY-MM-DD)")
    agency: str | None = Field(default=None, max_length=64, description="Mã cơ quan (chỉ quản trị viên)")


@dataclass(frozen=True)
class Period:
    """A checked period and the agency filter it applies to (None: every agency)."""

    first: date
    last: date
    agency: str | None


def _day(value: str, field: str) -> date:
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        message = "Ngày phải có dạng YYYY-MM-DD và là ngày có thật."
        raise InvalidInput(f"{field}: {message}", errors=[FieldError(field, message)]) from None


def _dates(query: SlaQuery) -> tuple[date, date]:
    errors: list[FieldError] = []
    days: list[date | None] = []
    for value, field in ((query.first, "from"), (query.last, "to")):
        try:
            days.append(_day(value.strip(), field))
        except InvalidInput as exc:
            errors += exc.errors
            days.append(None)
    first, last = days
    if first is not None and last is not None and first > last:
        errors.append(FieldError("to", f"Ngày cuối phải từ ngày đầu ({first:%d/%m/%Y}) trở đi."))
    if errors or first is None or last is None:
        raise InvalidInput("Khoảng thời gian không hợp lệ — " + "; ".join(f"{e.field}: {e.message}" for e in errors),
                           errors=errors)
    return first, last


async def check_period(con: asyncpg.Connection, principal: Principal, query: SlaQuery) -> Period:
    """The period and the agency this principal may report on (422 for bad dates, 404 for a foreign agency)."""
    principal.require(*READERS)
    first, last = _dates(query)
    wanted = query.agency.strip() if query.agency and query.agency.strip() else None
    if principal.role is Role.staff:
        if wanted is not None and wanted != principal.agency_code:
            raise NotFound(f"Không tìm thấy cơ quan {wanted[:32]!r}.")
        return Period(first, last, principal.agency_code)
    if wanted is not None and (not _AGENCY.fullmatch(wanted) or not await store.agency_exists(con, wanted)):
        raise NotFound(f"Không tìm thấy cơ quan {wanted[:32]!r}.")
    return Period(first, last, wanted)


def _hours(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _rate(part: int, whole: int) -> float | None:
    value = percent(part, whole)
    return None if value is None else float(value)


def row_view(r: asyncpg.Record) -> dict[str, Any]:
    """One report row as SPEC §6 names its fields."""
    delivered = int(r["st_delivered"])
    failed = int(r["failed_attempts"])
    return {
        "agency_code": r["agency_code"],
        "direction": r["direction"],
        "total": int(r["total"]),
        "by_status": {st: int(r[f"st_{st}"]) for st in store.STATUSES},
        "delivered_on_time": int(r["on_time"]),
        "delivered_late": int(r["late"]),
        "on_time_rate": _rate(int(r["on_time"]), int(r["on_time"]) + int(r["late"])),
        "median_hours": _hours(r["median_hours"]),
        "p95_hours": _hours(r["p95_hours"]),
        "failed_attempts": failed,
        "failed_attempt_rate": _rate(failed, failed + delivered),
        "paid_online": int(r["paid_online"]),
        "online_payment_rate": _rate(int(r["paid_online"]), int(r["with_amount"])),
    }


async def _rows(con: asyncpg.Connection, period: Period, clock: Clock) -> list[dict[str, Any]]:
    rows = await store.sla_rows(con, period.first, period.last, clock.settings.timezone, period.agency)
    return [row_view(r) for r in rows]


async def sla_report(pool: asyncpg.Pool, principal: Principal, query: SlaQuery, clock: Clock) -> dict[str, Any]:
    """``{"from", "to", "rows"}`` for the period, in the principal's scope."""
    async with pool.acquire() as con:
        period = await check_period(con, principal, query)
        rows = await _rows(con, period, clock)
    return {"from": period.first.isoformat(), "to": period.last.isoformat(), "rows": rows}


CSV_COLUMNS = ["agency_code", "direction", "total", *(f"by_status.{st}" for st in store.STATUSES),
               "delivered_on_time", "delivered_late", "on_time_rate", "median_hours", "p95_hours",
               "failed_attempts", "failed_attempt_rate", "paid_online", "online_payment_rate"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def report_csv(report: dict[str, Any]) -> bytes:
    """The report as CSV: UTF-8 with a BOM so that Excel reads Vietnamese right; CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report["rows"]:
        flat = {**row, **{f"by_status.{st}": n for st, n in row["by_status"].items()}}
        writer.writerow([_cell(flat[c]) for c in CSV_COLUMNS])
    return out.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------------------
# The page's extras: weekly on-time rate and the late list


@dataclass(frozen=True)
class Week:
    """One bar of the chart: the week's Monday, handovers, on time, and the rate (None: no handover)."""

    monday: date
    delivered: int
    on_time: int
    rate: float | None


async def weekly_rates(con: asyncpg.Connection, period: Period, clock: Clock, max_weeks: int = 53) -> list[Week]:
    """Every week of the period (the last ``max_weeks``), those without shipments included."""
    found = {r["week"]: r for r in await store.weekly(con, period.first, period.last, clock.settings.timezone,
                                                      period.agency)}
    monday = period.first - timedelta(days=period.first.weekday())
    mondays = []
    while monday <= period.last:
        mondays.append(monday)
        monday += timedelta(days=7)
    weeks = []
    for m in mondays[-max_weeks:]:
        r = found.get(m)
        delivered, on_time = (int(r["delivered"]), int(r["on_time"])) if r else (0, 0)
        weeks.append(Week(m, delivered, on_time, _rate(on_time, delivered)))
    return weeks


async def late_shipments(con: asyncpg.Connection, period: Period, clock: Clock) -> list[dict[str, Any]]:
    """Late shipments created in the period, without personal data (codes, dates, status)."""
    rows = await store.late_list(con, period.first, period.last, clock.settings.timezone, period.agency,
                                 clock.today(), LATE_LIST_LIMIT)
    tz = clock.settings.tz
    return [{
        "tracking_code": r["tracking_code"], "dossier_code": r["dossier_code"], "agency_code": r["agency_code"],
        "direction": r["direction"], "status": r["status"], "due_date": r["due_date"],
        "original_due_date": r["original_due_date"], "promised": r["promised"],
        "handed_on": r["handed_at"].astimezone(tz).date() if r["handed_at"] and r["status"] == "delivered" else None,
        "rescheduled": r["original_due_date"] is not None,
        "open": r["status"] in OPEN_STATUSES,
    } for r in rows]


@dataclass(frozen=True)
class ReportPage:
    """Everything the reports page shows for one period."""

    period: Period
    rows: list[dict[str, Any]]
    weeks: list[Week]
    late: list[dict[str, Any]]


async def report_page(pool: asyncpg.Pool, principal: Principal, query: SlaQuery, clock: Clock) -> ReportPage:
    """The report rows, the weekly rates and the late list of the period, in the principal's scope."""
    async with pool.acquire() as con:
        period = await check_period(con, principal, query)
        return ReportPage(period, await _rows(con, period, clock), await weekly_rates(con, period, clock),
                          await late_shipments(con, period, clock))


async def agency_choices(pool: asyncpg.Pool) -> list[tuple[str, str]]:
    """(code, name) of every agency, for an admin's filter."""
    async with pool.acquire() as con:
        return [(r["code"], r["name"]) for r in await store.agencies(con)]
