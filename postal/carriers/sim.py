"""``postal carrier-sim``: a local simulator of the VNPost customer-partner API (SPEC §9), for tests and the demo.

The operator's side, under ``/customer-partner/``: ``GetAccessToken`` (tokens that expire),
``CreateOrder`` (a duplicate ``saleOrderCode`` answers 409 ``DUPLICATE_SALE_ORDER_CODE``),
``orderCancel``, ``GetOrder`` (by ``saleOrderCode``) and ``GetTrackingEvents`` (the polling feed,
``{lastId, pageSize}`` → ``{success, items: [{id, originalID, saleOrderCode, status, time, note}]}``).
Calls without a valid ``token`` header answer 401.

The control surface, under ``/_sim/``:

- ``GET /_sim/orders`` — a JSON list of the orders held: ``originalID``, ``saleOrderCode``, ``status``,
  ``cancelled``, ``body`` (the CreateOrder body received) and ``reports``;
- ``POST /_sim/orders/{originalID}/status {"status": 14, "time"?, "note"?}`` — record a status report:
  it joins the polling feed and, when a callback URL is set, is pushed there at once
  (header ``X-Callback-Secret``); answers the report and whether the push was accepted;
- ``POST /_sim/expire-tokens`` — every token issued so far answers 401 from now on;
- ``POST /_sim/outage {"seconds": N}`` — the API answers 503 for N seconds (0 ends it).
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CALLBACK_HEADER = "X-Callback-Secret"


@dataclass
class SimOrder:
    """An order the simulated operator holds."""

    original_id: str
    sale_order_code: str
    body: dict[str, Any]
    status: int = 1
    cancelled: bool = False
    reports: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {"originalID": self.original_id, "saleOrderCode": self.sale_order_code, "status": self.status,
                "cancelled": self.cancelled, "body": self.body, "reports": self.reports}


@dataclass
class Simulator:
    """The simulated operator's state (one process, in memory)."""

    callback_url: str | None = None
    callback_secret: str | None = None
    token_ttl: float = 3600.0
    credentials: tuple[str, str, str] | None = None  # (username, password, customerCode) when enforced
    orders: dict[str, SimOrder] = field(default_factory=dict)
    feed: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    outage_until: float = 0.0
    calls: list[str] = field(default_factory=list)  # operation names, for tests
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_ttl
        return token

    def token_ok(self, token: str | None) -> bool:
        return token is not None and self.tokens.get(token, 0.0) > time.monotonic()

    def add_report(self, order: SimOrder, status: int, when: str, note: str) -> dict[str, Any]:
        report = {"id": len(self.feed) + 1, "originalID": order.original_id, "saleOrderCode": order.sale_order_code,
                  "status": status, "time": when, "note": note}
        self.feed.append(report)
        order.reports.append(report)
        order.status = status
        return report


sim_key = web.AppKey("sim", Simulator)
session_key = web.AppKey("sim_session", aiohttp.ClientSession)


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text='{"success": false, "message": "JSON không hợp lệ"}',
                                 content_type="application/json") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text='{"success": false, "message": "Cần một đối tượng JSON"}',
                                 content_type="application/json")
    return data


@web.middleware
async def _operator_gate(request: web.Request, handler: Any) -> web.StreamResponse:
    """Outages and tokens, for the operator's API only (the control surface is always open)."""
    sim = request.app[sim_key]
    if request.path.startswith("/customer-partner/"):
        operation = request.path.rsplit("/", 1)[-1]
        sim.calls.append(operation)
        if time.monotonic() < sim.outage_until:
            return _json({"success": False, "message": "Hệ thống đang bảo trì"}, 503)
        if operation != "GetAccessToken" and not sim.token_ok(request.headers.get("token")):
            return _json({"success": False, "message": "Token không hợp lệ hoặc đã hết hạn"}, 401)
    return await handler(request)


async def get_token(request: web.Request) -> web.Response:
    sim, data = request.app[sim_key], await _body(request)
    given = (str(data.get("username") or ""), str(data.get("password") or ""), str(data.get("customerCode") or ""))
    if not given[0] or not given[1] or (sim.credentials is not None and given != sim.credentials):
        return _json({"success": False, "message": "Sai thông tin đăng nhập"}, 401)
    return _json({"success": True, "token": sim.issue_token(), "expiresIn": sim.token_ttl})


async def create_order(request: web.Request) -> web.Response:
    sim, data = request.app[sim_key], await _body(request)
    info = data.get("informationOrder")
    if not isinstance(info, dict) or not isinstance(info.get("saleOrderCode"), str) or not info["saleOrderCode"]:
        return _json({"success": False, "errorCode": "INVALID", "message": "Thiếu saleOrderCode"}, 400)
    code = info["saleOrderCode"]
    if any(o.sale_order_code == code for o in sim.orders.values()):
        return _json({"success": False, "errorCode": "DUPLICATE_SALE_ORDER_CODE",
                      "message": "Mã đơn hàng đã tồn tại"}, 409)
    order = SimOrder(f"VNP{next(sim._ids):08d}", code, data)
    sim.orders[order.original_id] = order
    return _json({"success": True, "originalID": order.original_id, "status": order.status, "totalFee": 22000})


async def get_order(request: web.Request) -> web.Response:
    sim, data = request.app[sim_key], await _body(request)
    for order in sim.orders.values():
        if order.sale_order_code == data.get("saleOrderCode"):
            return _json({"success": True, "originalID": order.original_id, "saleOrderCode": order.sale_order_code,
                          "status": order.status})
    return _json({"success": False, "message": "Không tìm thấy đơn hàng"}, 404)


async def cancel_order(request: web.Request) -> web.Response:
    sim, data = request.app[sim_key], await _body(request)
    order = sim.orders.get(str(data.get("OriginalId") or ""))
    if order is None:
        return _json({"success": False, "message": "Không tìm thấy đơn hàng"}, 404)
    order.cancelled = True
    return _json({"success": True})


async def tracking_events(request: web.Request) -> web.Response:
    sim, data = request.app[sim_key], await _body(request)
    last_id: int = data["lastId"] if isinstance(data.get("lastId"), int) else 0
    size: int = data["pageSize"] if isinstance(data.get("pageSize"), int) else 100
    items = [r for r in sim.feed if r["id"] > last_id][: max(1, min(size, 500))]
    return _json({"success": True, "items": items})


async def sim_orders(request: web.Request) -> web.Response:
    return _json([o.view() for o in request.app[sim_key].orders.values()])


async def sim_status(request: web.Request) -> web.Response:
    sim, data = request.app[sim_key], await _body(request)
    order = sim.orders.get(request.match_info["original_id"])
    if order is None:
        return _json({"success": False, "message": "Không tìm thấy đơn hàng"}, 404)
    status = data.get("status")
    if not isinstance(status, int) or isinstance(status, bool):
        return _json({"success": False, "message": "status phải là số nguyên"}, 400)
    when: str = data["time"] if isinstance(data.get("time"), str) else datetime.now(VN_TZ).isoformat()
    report = sim.add_report(order, status, when, str(data.get("note") or ""))
    pushed = await _push(request.app, report) if sim.callback_url else None
    return _json({"success": True, "report": report, "pushed": pushed})


async def _push(app: web.Application, report: dict[str, Any]) -> bool:
    """Send one report to the callback URL; False when it was not accepted (polling still has it)."""
    sim = app[sim_key]
    headers = {CALLBACK_HEADER: sim.callback_secret or ""}
    try:
        async with app[session_key].post(str(sim.callback_url), json=report, headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=10)) as resp:
            log.info("callback pushed", extra={"status": resp.status, "report_id": report["id"]})
            return resp.status < 300
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("callback failed", extra={"error": type(exc).__name__})
        return False


async def sim_expire_tokens(request: web.Request) -> web.Response:
    sim = request.app[sim_key]
    count = len(sim.tokens)
    sim.tokens.clear()
    return _json({"success": True, "expired": count})


async def sim_outage(request: web.Request) -> web.Response:
    sim, data = request.app[sim_key], await _body(request)
    seconds = data.get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 <= seconds <= 86400:
        return _json({"success": False, "message": "seconds: 0…86400"}, 400)
    sim.outage_until = time.monotonic() + float(seconds)
    return _json({"success": True, "seconds": seconds})


async def _session_ctx(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[session_key] = session
        yield


def create_sim_app(sim: Simulator | None = None) -> web.Application:
    """The simulator as an aiohttp application (tests run it in-process with ``aiohttp_server``)."""
    app = web.Application(middlewares=[_operator_gate])
    app[sim_key] = sim or Simulator()
    app.cleanup_ctx.append(_session_ctx)
    for name, handler in (("GetAccessToken", get_token), ("CreateOrder", create_order), ("GetOrder", get_order),
                          ("orderCancel", cancel_order), ("GetTrackingEvents", tracking_events)):
        app.router.add_post(f"/customer-partner/{name}", handler)
    app.router.add_get("/_sim/orders", sim_orders)
    app.router.add_post("/_sim/orders/{original_id}/status", sim_status)
    app.router.add_post("/_sim/expire-tokens", sim_expire_tokens)
    app.router.add_post("/_sim/outage", sim_outage)
    return app


async def serve_sim(host: str, port: int, sim: Simulator) -> None:
    """Run the simulator until interrupted."""
    import asyncio

    runner = web.AppRunner(create_sim_app(sim), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    print(f"VNPost simulator on http://{host}:{port} (callback: {sim.callback_url or 'none'})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
