"""Handlers of data-subject requests (admin only; 404 for other roles): export and early erasure."""

from __future__ import annotations

from aiohttp import web

from postal.api.auth import current_principal
from postal.api.openapi import Operation
from postal.api.schemas import ShipmentOut, _Out
from postal.api.validation import parse_body, parse_query
from postal.domain.access import Principal
from postal.edge.keys import clock_key, pool_key
from postal.edge.responses import json_response
from postal.errors import Unauthenticated
from postal.services import citizens


class CitizenExportOut(_Out):
    """Everything held about a phone number: its shipments with their timelines."""

    phone: str
    count: int
    shipments: list[ShipmentOut]


class KeptOut(_Out):
    tracking_code: str
    status: str


class CitizenEraseOut(_Out):
    """What was erased now, and the open shipments kept until they finish (then purged as usual)."""

    phone: str
    erased: list[str]
    kept_open: list[KeptOut]


async def _admin(request: web.Request) -> Principal:
    principal = await current_principal(request)
    if principal is None:
        raise Unauthenticated("Cần đăng nhập hoặc gửi 'Authorization: Bearer <token>'.")
    return citizens.require_admin(principal)


async def export(request: web.Request) -> web.Response:
    principal = await _admin(request)
    query = parse_query(request, citizens.PhoneIn)
    answer = await citizens.export(request.app[pool_key], principal, query.phone, request.app[clock_key])
    return json_response(answer, headers={"Cache-Control": "no-store"})


async def erase(request: web.Request) -> web.Response:
    principal = await _admin(request)
    body = await parse_body(request, citizens.PhoneIn)
    return json_response(await citizens.erase(request.app[pool_key], principal, body.phone))


OPERATIONS = [
    Operation("GET", "/citizens/export", export, "Xuất mọi dữ liệu đang lưu về một số điện thoại (quản trị viên)",
              {200: CitizenExportOut}, query=citizens.PhoneIn, errors=(400, 401, 404, 422), tags=("privacy",)),
    Operation("POST", "/citizens/erase", erase, "Xoá sớm dữ liệu cá nhân theo yêu cầu (trừ đơn còn mở)",
              {200: CitizenEraseOut}, body=citizens.PhoneIn, errors=(400, 401, 404, 422), tags=("privacy",)),
]
