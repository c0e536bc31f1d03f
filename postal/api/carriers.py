"""Status reports pushed by a postal operator: ``POST /api/v1/carriers/vnpost/events`` (SPEC §9).

Authentication: the shared secret ``POSTAL_VNPOST_CALLBACK_SECRET``, sent as ``X-Callback-Secret: S``
or ``Authorization: Bearer S``, compared in constant time; anything else (or no secret configured)
is 401 problem+json. The body is one report ``{originalID, saleOrderCode, status, time, note}``, a list
of them, or ``{"events": [...]}``. Reports are kept once per (order, status, time) and applied in
time order; the answer says how many were new.
"""

from __future__ import annotations

import hmac
import json

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from postal.api.openapi import Operation
from postal.api.validation import read_body
from postal.carriers.vnpost.parse import parse_reports
from postal.edge.keys import clock_key, pool_key, settings_key
from postal.edge.responses import json_response
from postal.errors import BadRequest, Unauthenticated
from postal.services import carriers

SECRET_HEADER = "X-Callback-Secret"  # noqa: S105 - a header name, not a secret


class CarrierReportIn(BaseModel):
    """One status report from VNPost (extra fields are ignored)."""

    model_config = ConfigDict(extra="allow")
    originalID: str = Field(max_length=64, description="Mã đơn của VNPost (originalID)")
    saleOrderCode: str | None = Field(default=None, max_length=40, description="Mã bưu gửi của chúng tôi")
    status: int = Field(description="Mã trạng thái VNPost: 0–22, 101–111")
    time: str = Field(max_length=40, description="Thời điểm (ISO 8601; không có múi giờ: giờ Việt Nam)")
    note: str | None = Field(default=None, max_length=1000)


class CarrierEventsOut(BaseModel):
    received: int
    new: int
    unreadable: int


def _presented_secret(request: web.Request) -> str:
    if SECRET_HEADER in request.headers:
        return request.headers[SECRET_HEADER]
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def check_secret(request: web.Request) -> None:
    """401 unless the request carries the configured callback secret."""
    expected = request.app[settings_key].vnpost_callback_secret.encode()
    given = _presented_secret(request).encode()
    if not expected or not hmac.compare_digest(given, expected):
        raise Unauthenticated("Thiếu hoặc sai khoá bí mật của hãng vận chuyển (X-Callback-Secret).")


async def vnpost_events(request: web.Request) -> web.Response:
    check_secret(request)
    try:
        body = json.loads(await read_body(request))
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Nội dung gửi lên không phải JSON hợp lệ (UTF-8).") from None
    reports = parse_reports(body)
    if len(reports) > 500:
        raise BadRequest("Tối đa 500 báo cáo trạng thái một lần.")
    done = await carriers.ingest(request.app[pool_key], reports, "callback", request.app[clock_key])
    return json_response({"received": done.received, "new": done.new, "unreadable": done.unreadable})


OPERATIONS = [
    Operation("POST", "/carriers/vnpost/events", vnpost_events,
              "Báo cáo trạng thái do VNPost đẩy về (khoá bí mật X-Callback-Secret hoặc Bearer)",
              {200: CarrierEventsOut}, body=CarrierReportIn, errors=(400, 401), public=True,
              headers=(SECRET_HEADER,), tags=("carriers",)),
]
