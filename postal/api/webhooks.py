"""Handlers of the webhook subscriptions, their delivery log and the manual redeliver (SPEC §5, §7).

Integrations and admins only (staff and couriers 403); another agency's subscription is 404.
"""

from __future__ import annotations

from aiohttp import web

from postal.api.auth import require
from postal.api.openapi import Operation
from postal.api.schemas import _Out
from postal.api.validation import parse_body, parse_query
from postal.domain.access import Role
from postal.edge.keys import pool_key, resolve_key, settings_key
from postal.edge.responses import json_response
from postal.errors import NotFound
from postal.services import webhooks
from postal.services.webhooks import DeliveriesQuery, SubscriptionIn

# Set in tests to fake DNS; absent: the system resolver.
_ROLES = (Role.integration, Role.admin)
_TAGS = ("webhooks",)


class SubscriptionOut(_Out):
    id: int
    url: str
    events: list[str]
    agency_code: str | None
    active: bool
    disabled_at: str | None
    disabled_reason: str | None
    created_at: str


class SubscriptionCreated(SubscriptionOut):
    secret: str


class SubscriptionList(_Out):
    items: list[SubscriptionOut]
    next_cursor: str | None


class AttemptOut(_Out):
    attempt: int
    attempted_at: str
    status_code: int | None
    outcome: str
    error: str | None
    duration_ms: int
    next_attempt_at: str | None


class DeliveryOut(_Out):
    id: int
    webhook_id: str
    type: str
    status: str
    attempts: int
    created_at: str
    last_attempt_at: str | None
    last_status_code: int | None
    last_outcome: str | None
    next_attempt_at: str | None
    delivered_at: str | None
    log: list[AttemptOut]


class DeliveryPage(_Out):
    items: list[DeliveryOut]
    next_cursor: str | None


def _id(request: web.Request, name: str) -> int:
    text = request.match_info[name]
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise NotFound(f"Không tìm thấy {text[:40]!r}.")
    return int(text)


async def create(request: web.Request) -> web.Response:
    principal = await require(request, *_ROLES)
    body = await parse_body(request, SubscriptionIn)
    settings = request.app[settings_key]
    created = await webhooks.create_subscription(
        request.app[pool_key], principal, body, allow_loopback=settings.webhook_allow_loopback,
        resolve=request.app.get(resolve_key, webhooks.system_resolve),
    )
    return json_response(created, status=201, headers={"Cache-Control": "no-store"})


async def index(request: web.Request) -> web.Response:
    principal = await require(request, *_ROLES)
    return json_response(await webhooks.list_subscriptions(request.app[pool_key], principal))


async def delete(request: web.Request) -> web.Response:
    principal = await require(request, *_ROLES)
    await webhooks.delete_subscription(request.app[pool_key], principal, _id(request, "id"))
    return web.Response(status=204)


async def deliveries(request: web.Request) -> web.Response:
    principal = await require(request, *_ROLES)
    sub_id = _id(request, "id")
    query = parse_query(request, DeliveriesQuery)
    return json_response(await webhooks.list_deliveries(request.app[pool_key], principal, sub_id, query))


async def redeliver(request: web.Request) -> web.Response:
    principal = await require(request, *_ROLES)
    sub_id, delivery_id = _id(request, "id"), _id(request, "delivery_id")
    return json_response(await webhooks.redeliver(request.app[pool_key], principal, sub_id, delivery_id),
                         status=202)


OPERATIONS = [
    Operation("POST", "/webhooks", create, "Đăng ký webhook; câu trả lời có khoá ký (secret) một lần duy nhất",
              {201: SubscriptionCreated}, body=SubscriptionIn, errors=(400, 401, 403, 409, 413, 422), tags=_TAGS),
    Operation("GET", "/webhooks", index, "Các đăng ký webhook của cơ quan (không có secret)",
              {200: SubscriptionList}, errors=(401, 403), tags=_TAGS),
    Operation("DELETE", "/webhooks/{id}", delete, "Xoá một đăng ký webhook", {204: None},
              errors=(401, 403, 404), tags=_TAGS),
    Operation("GET", "/webhooks/{id}/deliveries", deliveries,
              "Nhật ký gửi của một đăng ký: từng lần thử, mã trả về, kết quả, lần thử tới",
              {200: DeliveryPage}, query=DeliveriesQuery, errors=(400, 401, 403, 404, 422), tags=_TAGS),
    Operation("POST", "/webhooks/{id}/deliveries/{delivery_id}/redeliver", redeliver,
              "Gửi lại một lần gửi ngay (cùng webhook-id, tính lại thời hạn thử lại)", {202: DeliveryOut},
              errors=(401, 403, 404, 409), tags=_TAGS),
]
