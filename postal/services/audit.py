"""The access audit (SPEC §13): recording who read whose personal data, listing it, exporting it as CSV,
and purging it after its own retention (``POSTAL_AUDIT_RETENTION_DAYS``).

Each surface that shows personal data calls :func:`record` once per request, on the connection it read
with: one multi-row INSERT whatever the number of shipments. Public tracking records nothing.
Admins read every record; staff the records of their agency's shipments; other roles are refused.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from datetime import date, datetime, time, timedelta
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from postal.domain import codes
from postal.domain.access import Principal, Role
from postal.domain.privacy import Access
from postal.errors import BadRequest, FieldError, InvalidInput
from postal.services.views import Clock
from postal.store import audit as store

READERS = (Role.admin, Role.staff)
PURGE_BATCH = 5000
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_USERNAME = re.compile(r"[a-z0-9._-]{2,64}")
CSV_COLUMNS = ("id", "at", "username", "role", "action", "tracking_code", "agency_code", "subject")


async def record(con: asyncpg.Connection, principal: Principal, shipment_ids: list[int], access: Access | str,
                 subject: str = "") -> None:
    """Write the access records of one request (nothing when no shipment was shown)."""
    if shipment_ids:
        await store.record(con, principal.user_id, principal.role.value, str(access), shipment_ids, subject)


async def record_subject(con: asyncpg.Connection, principal: Principal, access: Access, subject: str) -> None:
    """An access record about a data subject that matched no shipment (``subject`` masked)."""
    await store.record_subject(con, principal.user_id, principal.role.value, access.value, subject)


class AuditQuery(BaseModel):
    """Query of ``GET /audit``: local dates (inclusive), a tracking code, a user name, a page."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    tracking_code: str | None = Field(default=None, max_length=60)
    user: str | None = Field(default=None, max_length=64)
    first: str | None = Field(default=None, alias="from", max_length=10, description="YYYY-MM-DD (giờ địa phương)")
    last: str | None = Field(default=None, alias="to", max_length=10, description="YYYY-MM-DD, tính cả ngày này")
    limit: int = Field(default=100, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=100)


def encode_cursor(record_id: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{record_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The record id a cursor points after, or 400 for anything we did not hand out."""
    try:
        prefix, _, number = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if prefix != "audit" or not number.isdigit() or len(number) > 18:
            raise ValueError(cursor)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("Con trỏ phân trang (cursor) không hợp lệ: dùng đúng giá trị next_cursor đã nhận.",
                         errors=[FieldError("cursor", "Không hợp lệ.")]) from None


def _day(value: str | None, field: str, errors: list[FieldError]) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        if not _DATE.fullmatch(value.strip()):
            raise ValueError(value)
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(FieldError(field, "Ngày phải có dạng YYYY-MM-DD và là ngày có thật."))
        return None


def local_range(first: date | None, last: date | None, clock: Clock) -> tuple[datetime | None, datetime | None]:
    """Local days ``first``..``last`` (inclusive) as a half-open range of instants."""
    tz = clock.settings.tz
    since = datetime.combine(first, time(), tz) if first else None
    until = datetime.combine(last + timedelta(days=1), time(), tz) if last else None
    return since, until


def period(first: str | None, last: str | None, clock: Clock) -> tuple[datetime | None, datetime | None]:
    """Checked ``from``/``to`` text as instants; 422 naming the field when a date is bad or reversed."""
    errors: list[FieldError] = []
    a, b = _day(first, "from", errors), _day(last, "to", errors)
    if a and b and a > b:
        errors.append(FieldError("to", f"Ngày cuối phải từ ngày đầu ({a:%d/%m/%Y}) trở đi."))
    if errors:
        raise InvalidInput("Tham số không hợp lệ — " + "; ".join(f"{e.field}: {e.message}" for e in errors),
                           errors=errors)
    return local_range(a, b, clock)


def _filter(principal: Principal, query: AuditQuery, clock: Clock) -> store.AuditFilter:
    since, until = period(query.first, query.last, clock)
    code = query.tracking_code.strip() if query.tracking_code and query.tracking_code.strip() else None
    user = query.user.strip() if query.user and query.user.strip() else None
    errors = []
    if code is not None:
        try:
            code = codes.normalize_s10(code)
        except InvalidInput:
            errors.append(FieldError("tracking_code", "Mã bưu gửi không hợp lệ (dạng RA123456785VN)."))
    if user is not None and not _USERNAME.fullmatch(user):
        errors.append(FieldError("user", "Tên đăng nhập chỉ gồm a-z, 0-9, '.', '_', '-' (2–64 ký tự)."))
    if errors:
        raise InvalidInput("Tham số không hợp lệ — " + "; ".join(f"{e.field}: {e.message}" for e in errors),
                           errors=errors)
    return store.AuditFilter(
        since=since, until=until, tracking_code=code, username=user,
        agency_code=principal.agency_code if principal.role is Role.staff else None,
        before_id=decode_cursor(query.cursor) if query.cursor else None, limit=query.limit,
    )


def _view(r: asyncpg.Record, clock: Clock) -> dict[str, Any]:
    return {"id": r["id"], "at": clock.local(r["at"]), "username": r["username"], "role": r["role"],
            "action": r["action"], "tracking_code": r["tracking_code"], "agency_code": r["agency_code"],
            "subject": r["subject"] or None}


async def list_records(pool: asyncpg.Pool, principal: Principal, query: AuditQuery, clock: Clock) -> dict[str, Any]:
    """A page of access records, newest first: all for admins, their agency's shipments' for staff."""
    principal.require(*READERS)
    f = _filter(principal, query, clock)
    async with pool.acquire() as con:
        rows = await store.list_records(con, f)
    page = rows[: query.limit]
    next_cursor = encode_cursor(page[-1]["id"]) if len(rows) > query.limit else None
    return {"items": [_view(r, clock) for r in page], "next_cursor": next_cursor}


async def export_csv(con: asyncpg.Connection, first: date | None, last: date | None, clock: Clock) -> str:
    """Every access record of the period (local days, inclusive), oldest first, as CSV text (breach reports)."""
    since, until = local_range(first, last, clock)
    rows = await store.list_records(con, store.AuditFilter(since=since, until=until, limit=None))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in reversed(rows):
        v = _view(r, clock)
        writer.writerow(["" if v[c] is None else v[c] for c in CSV_COLUMNS])
    return out.getvalue()


async def purge_expired(pool: asyncpg.Pool, clock: Clock, days: int) -> int:
    """Delete access records older than ``days`` (their own retention), in batches; returns how many."""
    before = clock.now() - timedelta(days=days)
    total = 0
    while True:
        async with pool.acquire() as con, con.transaction():
            n = await store.purge_older(con, before, PURGE_BATCH)
        total += n
        if n < PURGE_BATCH:
            return total
