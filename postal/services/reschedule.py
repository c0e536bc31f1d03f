"""Late results: reschedule (new due date, timeline note, ``late`` notice) and the apology letter (SPEC §5, §10).

Decisions:

- ``POST /shipments/{code}/reschedule {new_date, reason}``: agency staff only; another agency's shipment
  is 404; only ``delivery`` shipments (a result promised to a citizen; Mẫu 04 is about results) and only
  while open (409 otherwise); ``new_date`` must be after today and after the due date in force, and at
  most a year ahead (422). The first due date is kept in ``original_due_date`` (the on-time rate and the
  letter use it); ``due_date`` becomes the new date. A ``rescheduled`` note is appended to the timeline
  (it changes no status and never makes a courier's scan late), and a ``notification.late`` outbox row is
  queued in the same transaction (no personal data: code, dates, cause).
- ``GET /shipments/{code}/apology.pdf``: Mẫu 04 of Circular 03/2025/TT-VPCP for the latest reschedule
  (its reason and new date, the original appointment date, dated the day of that reschedule, so a
  reprint is the same letter). Never rescheduled → 409. Staff, integrations and admins, like slips; each
  print is logged (document ``apology``).
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

import labels
from postal.domain import codes
from postal.domain.access import Principal, Role, scope_of
from postal.domain.address import province_name
from postal.domain.deadlines import check_new_due_date
from postal.domain.lifecycle import Note, ShipmentState, Status, check_note
from postal.domain.privacy import Access
from postal.errors import Conflict, NotFound
from postal.services import audit
from postal.services.printing import PRINTERS, Pdf
from postal.services.shipments import code_or_404
from postal.services.views import Clock, shipment_view
from postal.store import printing as printing_store
from postal.store import shipments as store

LATE_TOPIC = "notification.late"

RESCHEDULERS = (Role.staff,)
"""Who may set a new result date (the agency's desk)."""


class RescheduleIn(BaseModel):
    """Body of ``POST /shipments/{code}/reschedule``: the new result date and why it is late."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"new_date": "2026-12-10", "reason": "Cần xác minh thêm thông tin với cơ quan cấp trước đây."}]})

    new_date: date
    reason: str = Field(max_length=500)



def late_payload(row: asyncpg.Record, due: date, cause: str) -> dict[str, Any]:
    """What the notifier needs for a ``late`` message, without personal data (it reads the row to send)."""
    original = row["original_due_date"] or row["due_date"]
    payload = {
        "kind": "late", "cause": cause, "shipment_id": row["id"], "tracking_code": row["tracking_code"],
        "direction": row["direction"], "agency_code": row["agency_code"], "due_date": due.isoformat(),
        "original_due_date": original.isoformat(),
        "ref": f"{cause}:{due.isoformat()}",  # one message per shipment, cause and date (the notifier's key)
    }
    if cause == "rescheduled":
        payload["new_date"] = due.isoformat()
    return payload


async def reschedule(
    pool: asyncpg.Pool, principal: Principal, code: str, cmd: RescheduleIn, clock: Clock
) -> dict[str, Any]:
    """Set a new due date for a late result, note it in the timeline and tell the citizen (outbox)."""
    principal.require(*RESCHEDULERS)
    code = code_or_404(code)
    reason = codes.clean_text(cmd.reason, "reason", max_length=500)
    async with pool.acquire() as con, con.transaction():
        row = await store.get_by_code(con, code, scope_of(principal), for_update=True)
        check_note(ShipmentState(Status(row["status"]), row["failed_attempts"]), Note.rescheduled)
        if row["direction"] != "delivery":
            raise Conflict("Chỉ hẹn lại ngày trả kết quả cho bưu gửi trả kết quả (delivery).")
        check_new_due_date(cmd.new_date, row["due_date"], clock.today())
        await store.insert_event(con, store.NewEvent(
            shipment_id=row["id"], event=Note.rescheduled.value, occurred_at=clock.now(),
            actor_user_id=principal.user_id, post_office_code=None, from_status=row["status"],
            to_status=row["status"], details={
                "previous_due_date": row["due_date"].isoformat(), "new_due_date": cmd.new_date.isoformat(),
                "original_due_date": (row["original_due_date"] or row["due_date"]).isoformat(), "reason": reason,
            },
        ))
        await store.set_due_date(con, row["id"], cmd.new_date)
        row = await store.get_by_id(con, row["id"])
        await store.add_outbox(con, LATE_TOPIC, row["id"], late_payload(row, cmd.new_date, "rescheduled"))
        await audit.record(con, principal, [row["id"]], Access.update)
        return shipment_view(row, await store.events_of(con, row["id"]), principal, clock)


async def _latest_reschedule(con: asyncpg.Connection, shipment_id: int) -> asyncpg.Record | None:
    events = [e for e in await store.events_of(con, shipment_id) if e["event"] == Note.rescheduled.value]
    return max(events, key=lambda e: (e["recorded_at"], e["id"])) if events else None


def _letter(row: asyncpg.Record, event: asyncpg.Record, clock: Clock) -> labels.ApologyLetter:
    details = event["details"]
    return labels.ApologyLetter(
        agency_name=row["agency_name"],
        citizen_name=row["citizen_name"],
        dossier_code=row["dossier_code"],
        procedure_name=row["procedure_name"],
        original_date=date.fromisoformat(details["original_due_date"]),
        new_date=date.fromisoformat(details["new_due_date"]),
        reason=details["reason"],
        issued_at=event["recorded_at"].astimezone(clock.settings.tz).date(),
        place=province_name(row["agency_province_code"]),
    )


async def apology_pdf(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> Pdf:
    """The apology letter of the latest reschedule; 409 when the shipment was never rescheduled."""
    principal.require(*PRINTERS)
    code = code_or_404(code)
    async with pool.acquire() as con:
        found = await printing_store.printable(con, [code], scope_of(principal))
        if code not in found:
            raise NotFound(f"Không tìm thấy bưu gửi {code}.")
        row = found[code]
        event = await _latest_reschedule(con, row["id"])
    if event is None:
        raise Conflict(f"Bưu gửi {code} chưa được hẹn lại ngày trả kết quả nên chưa có văn bản xin lỗi; "
                       "hãy hẹn lại ngày trước (POST /shipments/{code}/reschedule).")
    data = await asyncio.to_thread(labels.render_apology_letter, _letter(row, event, clock))
    async with pool.acquire() as con:
        await printing_store.record_prints(con, [row["id"]], "apology", principal.user_id)
        await audit.record(con, principal, [row["id"]], Access.apology)
    return Pdf(f"xin-loi-{code}.pdf", data)
