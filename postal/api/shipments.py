"""Handlers of the orders API: create, read, list, cancel."""

from __future__ import annotations

from aiohttp import web

from postal.api.auth import require
from postal.api.openapi import Operation
from postal.api.schemas import ShipmentOut, ShipmentPage
from postal.api.validation import parse_body, parse_query, read_body
from postal.domain.codes import invalid
from postal.edge.keys import clock_key, pool_key
from postal.edge.responses import json_response
from postal.services import shipment_creation, shipments


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise invalid("Idempotency-Key", "Idempotency-Key phải là chuỗi in được, 1–200 ký tự.")
    return key


async def create(request: web.Request) -> web.Response:
    principal = await require(request, *shipment_creation.CREATORS)
    body = await read_body(request)
    result = await shipment_creation.create_shipment(
        request.app[pool_key], principal, body, request.app[clock_key], _idempotency_key(request)
    )
    headers = {"Location": f"/api/v1/shipments/{result.shipment['tracking_code']}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(result.shipment, status=201, headers=headers)


async def show(request: web.Request) -> web.Response:
    principal = await require(request)
    shipment = await shipments.get_shipment(
        request.app[pool_key], principal, request.match_info["code"], request.app[clock_key]
    )
    return json_response(shipment)


async def index(request: web.Request) -> web.Response:
    principal = await require(request, *shipments.LISTERS)
    query = parse_query(request, shipments.ListQuery)
    return json_response(
        await shipments.list_shipments(request.app[pool_key], principal, query, request.app[clock_key])
    )


async def cancel(request: web.Request) -> web.Response:
    principal = await require(request)
    shipment = await shipments.cancel_shipment(
        request.app[pool_key], principal, request.match_info["code"], request.app[clock_key]
    )
    return json_response(shipment)


async def order_return(request: web.Request) -> web.Response:
    principal = await require(request, *shipments.ORDERERS)
    order = await parse_body(request, shipments.ReturnOrder)
    shipment = await shipments.return_shipment(
        request.app[pool_key], principal, request.match_info["code"], order, request.app[clock_key]
    )
    return json_response(shipment)


async def reset_verification(request: web.Request) -> web.Response:
    principal = await require(request)
    shipment = await shipments.reset_verification(
        request.app[pool_key], principal, request.match_info["code"], request.app[clock_key]
    )
    return json_response(shipment)


OPERATIONS = [
    Operation("POST", "/shipments", create, "Tạo đơn bưu gửi cho một hồ sơ", {201: ShipmentOut},
              body=shipment_creation.CreateShipment, headers=("Idempotency-Key",),
              errors=(400, 401, 403, 404, 409, 422),
              tags=("shipments",)),
    Operation("GET", "/shipments", index, "Danh sách bưu gửi (lọc, tìm, phân trang)", {200: ShipmentPage},
              query=shipments.ListQuery, tags=("shipments",)),
    Operation("GET", "/shipments/{code}", show, "Một bưu gửi với toàn bộ hành trình", {200: ShipmentOut},
              tags=("shipments",)),
    Operation("POST", "/shipments/{code}/cancel", cancel, "Huỷ đơn còn ở trạng thái created",
              {200: ShipmentOut}, errors=(400, 401, 403, 404, 409), tags=("shipments",)),
    Operation("POST", "/shipments/{code}/return", order_return,
              "Cơ quan yêu cầu chuyển hoàn bưu gửi chưa kết thúc", {200: ShipmentOut}, body=shipments.ReturnOrder,
              errors=(400, 401, 403, 404, 409, 422), tags=("shipments",)),
    Operation("POST", "/shipments/{code}/verification/reset", reset_verification,
              "Mở khoá xác minh người nhận sau quá nhiều lần sai", {200: ShipmentOut},
              errors=(400, 401, 403, 404), tags=("shipments",)),
]
