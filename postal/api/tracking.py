"""Public tracking API: ``GET /api/v1/track/{code}`` (no login, rate-limited per client address).

Choices where SPEC is silent:

- An unknown code and a malformed one answer the same 404 (same title and detail), so
  the answer never tells a valid-looking code from an invalid one.
- ``phone4`` must be exactly 4 digits (spaces allowed): anything else is a 422 naming
  the field, since a client sending 3 or 5 digits has a bug it can fix. The right 4
  digits add ``recipient``; wrong ones answer 200 with the public view only.
- ``s`` (the QR signature, case-insensitive): valid adds ``recipient``; forged,
  truncated or altered answers 200 with the public view only.
- Only misses count against the client's limit: an unknown well-formed code counts 1, a wrong
  ``phone4`` or a forged ``s`` counts 5; hits on valid codes are free (see :mod:`postal.services.tracking`).
- ``lang=en`` gives English ``status_text``; Vietnamese is the default.
- ``Cache-Control: no-store``: the answer may carry the masked recipient.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from postal.api.openapi import Operation
from postal.api.validation import parse_query
from postal.edge.headers import PRIVATE_HEADERS
from postal.edge.keys import clock_key, pool_key, track_blocks_key
from postal.edge.responses import json_response
from postal.edge.session import client_address
from postal.services import tracking


class TrackQuery(BaseModel):
    """Query of ``GET /track/{code}``: an optional proof (QR signature or last 4 phone digits) and the language."""

    model_config = ConfigDict(extra="ignore")

    s: str | None = Field(default=None, max_length=64, description="Chữ ký trong mã QR (8 ký tự base32).")
    phone4: str | None = Field(
        default=None, max_length=20, pattern=r"^\s*([0-9]\s*){4}$|^\s*$",
        description="4 số cuối điện thoại của công dân (đúng 4 chữ số; sai thì chỉ thấy thông tin công khai).",
    )
    lang: Literal["vi", "en"] = "vi"


class TrackEventOut(BaseModel):
    """One public timeline entry: no actor, no proof, no geo point.

    A late event (``applied: false``, ``late: true``) did not change the status: its ``status_text``
    says so instead of naming a status. A late repeat of an event already applied is not listed.
    """

    model_config = ConfigDict(extra="allow")

    event: str
    status_text: str = Field(description="Trạng thái mà sự kiện dẫn tới; sự kiện ghi nhận muộn: "
                                         "'Ghi nhận muộn, không thay đổi trạng thái'.")
    event_text: str
    occurred_at: str
    post_office: str | None
    post_office_name: str | None
    applied: bool
    late: bool = Field(description="Ghi nhận muộn (không thay đổi trạng thái bưu gửi).")


class RecipientOut(BaseModel):
    """Shown only with a valid ``s`` or the right ``phone4``: masked name, ward and province names."""

    model_config = ConfigDict(extra="forbid")

    name: str
    ward: str
    province: str


class TrackOut(BaseModel):
    """Hành trình công khai của bưu gửi: không có số điện thoại, số định danh, địa chỉ chi tiết hay tên bưu tá."""

    model_config = ConfigDict(extra="allow")

    tracking_code: str
    direction: Literal["pickup", "delivery"]
    status: str
    status_text: str
    due_date: str
    overdue: bool
    created_at: str
    events: list[TrackEventOut]
    recipient: RecipientOut | None = None


_NO_QUERY = TrackQuery()


async def track(request: web.Request) -> web.Response:
    query = parse_query(request, TrackQuery) if request.query_string else _NO_QUERY  # most lookups: no query
    lookup = tracking.TrackRequest(
        code=request.match_info["code"], client=client_address(request), sig=query.s,
        phone4=tracking.normalize_phone4(query.phone4), lang=query.lang,
    )
    view = await tracking.track(request.app[pool_key], request.app[clock_key], lookup, request.app[track_blocks_key])
    return json_response(view, headers=PRIVATE_HEADERS)


OPERATIONS: list[Operation] = [
    Operation("GET", "/track/{code}", track, "Tra cứu công khai bưu gửi theo mã (giới hạn số lần tra cứu)",
              {200: TrackOut}, query=TrackQuery, errors=(400, 404, 422, 429), public=True, tags=("tracking",)),
]
