"""Handlers of the working-day calendar: read by staff, edited by admins (SPEC §6)."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from postal.api.auth import require
from postal.api.openapi import Operation
from postal.api.schemas import _Out
from postal.api.validation import parse_body, parse_query
from postal.domain.access import Role
from postal.edge.keys import pool_key
from postal.edge.responses import json_response
from postal.errors import NotFound
from postal.services import calendar


class HolidayOut(_Out):
    day: str
    name: str
    kind: str
    source: str


class HolidayList(_Out):
    year: int
    items: list[HolidayOut]


def _day(request: web.Request) -> date:
    try:
        return date.fromisoformat(request.match_info["day"])
    except ValueError:
        raise NotFound("Ngày phải có dạng YYYY-MM-DD.") from None


async def index(request: web.Request) -> web.Response:
    principal = await require(request, Role.admin, Role.staff)
    query = parse_query(request, calendar.YearQuery)
    return json_response(await calendar.list_holidays(request.app[pool_key], principal, query.year))


async def put(request: web.Request) -> web.Response:
    principal = await require(request, Role.admin)
    day = _day(request)
    entry = await parse_body(request, calendar.HolidayIn)
    return json_response(await calendar.put_holiday(request.app[pool_key], principal, day, entry))


async def delete(request: web.Request) -> web.Response:
    principal = await require(request, Role.admin)
    await calendar.delete_holiday(request.app[pool_key], principal, _day(request))
    return web.Response(status=204)




OPERATIONS = [
    Operation("GET", "/holidays", index, "Lịch ngày nghỉ và ngày làm bù của một năm", {200: HolidayList},
              query=calendar.YearQuery, tags=("calendar",)),
    Operation("PUT", "/holidays/{day}", put, "Thêm hoặc sửa một ngày (quản trị)", {200: HolidayOut},
              body=calendar.HolidayIn, tags=("calendar",)),
    Operation("DELETE", "/holidays/{day}", delete, "Xoá một ngày khỏi lịch (quản trị)", {204: None},
              tags=("calendar",)),
]
