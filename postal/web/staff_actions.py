"""Pages: the staff console's actions on one shipment (issue 14), besides cancel and the one-time code
(:mod:`postal.web.staff`).

- ``GET /staff/shipments/{code}/attachments/{id}``: a handover signature or photo, for the agency's staff
  (and admins) only; another agency's shipment or another shipment's attachment is a 404.
- ``POST /staff/shipments/{code}/unlock`` | ``/return`` | ``/new-date``: unlock a locked handover, order
  the item back with a reason, set a new result date (the reschedule of SPEC §6, dd/mm/yyyy).

Each form carries the CSRF token and a required "I confirm" checkbox (the confirmation works without
JavaScript); the result is shown on the detail page after a redirect (``?done=…``), a refusal on the detail
page as a Vietnamese message.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from aiohttp import web
from multidict import MultiMapping
from pydantic import ValidationError

from postal.domain.access import Principal
from postal.edge.keys import clock_key, pool_key
from postal.errors import FieldError, InvalidInput, NotFound, PostalError
from postal.services import proofs, reschedule, shipments
from postal.web.login import staff_page
from postal.web.staff import _form, detail

_VN_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*\Z")


def parse_vn_date(text: str, field: str) -> date:
    """``dd/mm/yyyy`` (as typed on the pages) or ISO ``yyyy-mm-dd``; otherwise a named field error."""
    try:
        if m := _VN_DATE.match(text):
            return date(int(m[3]), int(m[2]), int(m[1]))
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("Ngày phải viết dạng ngày/tháng/năm, ví dụ 05/12/2026.",
                           errors=[FieldError(field, "Ngày không hợp lệ (dd/mm/yyyy).")]) from None


def _confirmed(form: MultiMapping[Any], what: str) -> None:
    if form.get("confirm") != "yes":
        raise InvalidInput(f"Hãy đánh dấu ô xác nhận trước khi {what}.",
                           errors=[FieldError("confirm", "Chưa xác nhận.")])


async def _act(request: web.Request, action: str) -> web.Response:
    """Run one action through its service; refusals (except 404) on the detail page, success → redirect."""
    principal, csrf = await staff_page(request)
    form = await _form(request, csrf)
    code = request.match_info["code"]
    try:
        tracking_code = await _ACTIONS[action](request, principal, form, code)
    except NotFound:
        raise  # not this agency's, or no such code: the 404 page
    except PostalError as exc:
        return await detail(request, exc)
    raise web.HTTPSeeOther(f"/staff/shipments/{tracking_code}?done={action}")


async def _unlock(request: web.Request, principal: Principal, form: MultiMapping[Any], code: str) -> str:
    _confirmed(form, "mở khoá")
    shipment = await shipments.reset_verification(request.app[pool_key], principal, code, request.app[clock_key])
    return str(shipment["tracking_code"])


async def _return(request: web.Request, principal: Principal, form: MultiMapping[Any], code: str) -> str:
    reason = " ".join(str(form.get("reason", "")).split())
    if not reason:
        raise InvalidInput("Hãy ghi lý do chuyển hoàn.", errors=[FieldError("reason", "Chưa ghi lý do.")])
    _confirmed(form, "chuyển hoàn")
    try:
        order = shipments.ReturnOrder.model_validate({"reason": reason})
    except ValidationError:
        raise InvalidInput("Lý do tối đa 500 ký tự.", errors=[FieldError("reason", "Quá dài.")]) from None
    shipment = await shipments.return_shipment(request.app[pool_key], principal, code, order, request.app[clock_key])
    return str(shipment["tracking_code"])


async def _new_date(request: web.Request, principal: Principal, form: MultiMapping[Any], code: str) -> str:
    new_date = parse_vn_date(str(form.get("new_date", "")), "new_date")
    reason = " ".join(str(form.get("reason", "")).split())
    if not reason:
        raise InvalidInput("Hãy ghi lý do hẹn lại.", errors=[FieldError("reason", "Chưa ghi lý do.")])
    _confirmed(form, "hẹn lại ngày trả kết quả")
    try:
        cmd = reschedule.RescheduleIn.model_validate({"new_date": new_date, "reason": reason})
    except ValidationError:
        raise InvalidInput("Lý do tối đa 500 ký tự.", errors=[FieldError("reason", "Quá dài.")]) from None
    shipment = await reschedule.reschedule(request.app[pool_key], principal, code, cmd, request.app[clock_key])
    return str(shipment["tracking_code"])


_ACTIONS = {"unlocked": _unlock, "returned": _return, "rescheduled": _new_date}


async def unlock(request: web.Request) -> web.Response:
    """Unlock a handover locked after too many wrong verifications."""
    return await _act(request, "unlocked")


async def order_return(request: web.Request) -> web.Response:
    """Order the item back to the agency, with a reason."""
    return await _act(request, "returned")


async def new_date(request: web.Request) -> web.Response:
    """A new result date for a late shipment (the reschedule of SPEC §6)."""
    return await _act(request, "rescheduled")


async def attachment(request: web.Request) -> web.Response:
    """A signature or photo of a handover, private to the agency's staff."""
    principal, _ = await staff_page(request)
    found = await proofs.attachment(request.app[pool_key], principal, request.match_info["code"],
                                    request.match_info["attachment_id"])
    return web.Response(body=found.data, content_type=found.media_type, headers={
        "Cache-Control": "private, max-age=300", "ETag": f'"{found.etag}"', "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline"})


def setup(app: web.Application) -> None:
    """Register this module's routes."""
    app.router.add_get("/staff/shipments/{code}/attachments/{attachment_id}", attachment)
    app.router.add_post("/staff/shipments/{code}/unlock", unlock)
    app.router.add_post("/staff/shipments/{code}/return", order_return)
    app.router.add_post("/staff/shipments/{code}/new-date", new_date)
