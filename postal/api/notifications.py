"""Handlers of the citizen-notification API: a shipment's notification log, and a new one-time code."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from postal.api.auth import require
from postal.api.openapi import Operation
from postal.edge.keys import clock_key, pool_key
from postal.edge.responses import json_response
from postal.services import notifications


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class TryOut(_Out):
    channel: str
    outcome: str
    detail: str
    at: str


class NotificationOut(_Out):
    kind: str
    status: str
    channel: str | None
    attempts: int
    created_at: str
    finished_at: str | None
    tries: list[TryOut]


class NotificationLogOut(_Out):
    tracking_code: str
    items: list[NotificationOut]


class OtpResendOut(_Out):
    tracking_code: str
    expires_at: str
    queued: bool


async def log_of_shipment(request: web.Request) -> web.Response:
    principal = await require(request)
    return json_response(await notifications.shipment_log(
        request.app[pool_key], principal, request.match_info["code"], request.app[clock_key]))


async def resend_otp(request: web.Request) -> web.Response:
    principal = await require(request)
    return json_response(await notifications.resend_otp(
        request.app[pool_key], principal, request.match_info["code"], request.app[clock_key]), status=202)


OPERATIONS = [
    Operation("GET", "/shipments/{code}/notifications", log_of_shipment,
              "Nhật ký tin nhắn gửi công dân (loại, kênh, thời điểm, kết quả; không có mã xác nhận)",
              {200: NotificationLogOut}, errors=(400, 401, 403, 404), tags=("notifications",)),
    Operation("POST", "/shipments/{code}/otp/resend", resend_otp,
              "Gửi lại mã xác nhận giao nhận cho công dân (mã mới, mã cũ hết hiệu lực)",
              {202: OtpResendOut}, errors=(400, 401, 403, 404, 409, 429), tags=("notifications",)),
]
