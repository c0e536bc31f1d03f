"""The VNPost carrier adapter end to end: our app, the outbox, the proxy and the simulator (in-process)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from postal.app import create_app
from postal.carriers.sim import Simulator, create_sim_app
from postal.services import carriers as service
from postal.workers.carriers import poll_forever
from tests.integration.carrier_support import SECRET, Rig, make_proxy, wired_settings
from tests.integration.scan_helpers import create_shipment, vietnam_time


def report_time(hour: int, minute: int = 0) -> str:
    """A report time on a day a month ago in Vietnam (never older than a scan may be dated)."""
    return vietnam_time(30, hour, minute).isoformat()

EVENTS = "/api/v1/carriers/vnpost/events"


@pytest.fixture
async def rig(settings, world, aiohttp_client, aiohttp_server) -> AsyncIterator[Rig]:
    sim = Simulator(credentials=("postal", "pw", "C0001"))
    sim_server = await aiohttp_server(create_sim_app(sim))
    wired = wired_settings(settings, sim_server)
    client = await aiohttp_client(await create_app(wired))
    sim.callback_url, sim.callback_secret = str(client.make_url(EVENTS)), SECRET
    await service.bind_post_office(world.db, "PO-1", "vnpost")
    async with aiohttp.ClientSession() as session:
        yield Rig(client, sim, sim_server, session, make_proxy(session, wired), wired)


async def pushed(rig: Rig, world: Any, **changes: Any) -> tuple[str, str]:
    """A shipment created at the bound post office and pushed: (tracking code, originalID)."""
    code = await create_shipment(rig.client, world, **changes)
    assert await rig.dispatch() >= 1
    return code, (await rig.order_of(code))["originalID"]


async def shipment(rig: Rig, world: Any, code: str) -> dict[str, Any]:
    resp = await rig.client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))
    assert resp.status == 200
    return dict(await resp.json())


async def test_a_bound_office_pushes_its_order_once_without_the_id_number(rig: Rig, world: Any) -> None:
    code, original = await pushed(rig, world, cod_amount=15000)
    order = await rig.order_of(code)
    body = order["body"]["informationOrder"]
    assert body["receiverName"] == "Nguyễn Thị Hồng Nhung" and body["receiverPhone"] == "0912345678"
    assert "Hùng Vương" in body["receiverAddress"] and body["addonService"] == [{"code": "COD", "propValue": "15000"}]
    assert "001199012345" not in json.dumps(order["body"], ensure_ascii=False)
    assert await rig.dispatch() == 0  # nothing left to push
    view = await shipment(rig, world, code)
    assert view["carrier"] == {"name": "vnpost", "order_id": original, "status": 1, "status_text": "Đã tạo đơn",
                               "pushed": True, "cancel": None}
    outbox = await world.db.fetch("SELECT payload FROM outbox WHERE topic LIKE 'carrier.%'")
    assert all("citizen" not in json.dumps(r["payload"]) and "0912345678" not in json.dumps(r["payload"])
               for r in outbox)
    resp = await rig.client.post("/login", data={"username": "staff1", "password": "correct-horse-battery"},
                                 allow_redirects=False)
    assert resp.status == 302
    html = await (await rig.client.get(f"/staff/shipments/{code}")).text()
    assert f"mã đơn {original}" in html and "Đã tạo đơn" in html


async def test_an_unbound_office_pushes_nothing(rig: Rig, world: Any) -> None:
    await create_shipment(rig.client, world, post_office_code="PO-2")
    assert await rig.dispatch() == 0 and await rig.sim_orders() == []
    code = await create_shipment(rig.client, world)
    await service.bind_post_office(world.db, "PO-1", None)
    assert await rig.dispatch() == 1 and (await rig.order_of(code))["saleOrderCode"] == code  # queued while bound


async def test_whole_delivery_through_pushed_reports(rig: Rig, world: Any) -> None:
    code, original = await pushed(rig, world)
    for i, status in enumerate((1, 6, 7, 10, 11, 12, 14)):
        answer = await rig.report(original, status, minutes_ago=60 - i)
        assert answer["pushed"] is True
    view = await shipment(rig, world, code)
    assert view["status"] == "delivered"
    applied = [e["event"] for e in view["events"] if e["applied"]]
    assert applied == ["picked_up", "arrived", "arrived", "arrived", "out_for_delivery", "delivered"]
    notes = [e for e in view["events"] if e["event"] == "carrier_report"]
    assert [n["details"]["carrier_status"] for n in notes] == [1] and not notes[0]["applied"]
    delivered = view["events"][-1]
    assert delivered["details"]["verified_by"] == "carrier" and delivered["upu_code"] == "EMI"
    assert view["carrier"]["status"] == 14
    actor = await world.db.fetchrow("SELECT u.username, u.disabled FROM shipment_events e JOIN users u"
                                    " ON u.id = e.actor_user_id WHERE e.id = $1", delivered["id"])
    assert dict(actor) == {"username": "vnpost.po-1", "disabled": True}
    public = await (await rig.client.get(f"/api/v1/track/{code}")).json()
    assert public["status"] == "delivered"


async def test_failed_attempt_then_return(rig: Rig, world: Any) -> None:
    code, original = await pushed(rig, world)
    for i, status in enumerate((6, 12, 15)):
        await rig.report(original, status, minutes_ago=30 - i, note="Người nhận vắng nhà")
    view = await shipment(rig, world, code)
    assert view["status"] == "delivery_failed" and view["failed_attempts"] == 1
    failed = view["events"][-1]
    assert failed["details"]["reason_code"] == "other" and "vắng nhà" in failed["details"]["note"]
    for i, status in enumerate((16, 19)):
        await rig.report(original, status, minutes_ago=20 - i)
    view = await shipment(rig, world, code)
    assert view["status"] == "returned"
    assert [e["event"] for e in view["events"]][-2:] == ["carrier_report", "returned"]


async def test_token_expiry_mid_run_refreshes_once(rig: Rig, world: Any) -> None:
    await pushed(rig, world)
    code, _ = await rig.sim_post("/_sim/expire-tokens")
    assert code == 200
    second, _ = await pushed(rig, world)
    assert rig.sim.calls.count("GetAccessToken") == 2
    assert (await rig.order_of(second))["saleOrderCode"] == second


async def test_simulator_down_then_pushed_once(rig: Rig, world: Any) -> None:
    await rig.sim_post("/_sim/outage", {"seconds": 600})
    code = await create_shipment(rig.client, world)
    await rig.dispatch()
    row = await world.db.fetchrow("SELECT attempts, processed_at, last_error FROM outbox WHERE topic = 'carrier.order'")
    assert row["attempts"] == 1 and row["processed_at"] is None and row["last_error"] == "CarrierUnavailable"
    assert await rig.sim_orders() == []
    await rig.sim_post("/_sim/outage", {"seconds": 0})
    await world.db.execute("UPDATE outbox SET available_at = now() WHERE topic = 'carrier.order'")  # skip the backoff
    assert await rig.dispatch() == 1
    assert await rig.dispatch() == 0
    assert len(await rig.sim_orders()) == 1 and (await rig.order_of(code))["saleOrderCode"] == code


async def test_a_lost_answer_never_makes_two_orders(rig: Rig, world: Any) -> None:
    code, original = await pushed(rig, world)
    # The push went through but we never stored the answer (say, a timeout): the outbox retries it.
    await world.db.execute("UPDATE carrier_orders SET order_id = NULL WHERE tracking_code = $1", code)
    await world.db.execute("UPDATE outbox SET processed_at = NULL WHERE topic = 'carrier.order'")
    assert await rig.dispatch() == 1
    assert len(await rig.sim_orders()) == 1
    assert await world.db.fetchval("SELECT order_id FROM carrier_orders WHERE tracking_code = $1", code) == original


async def test_simulator_down_for_good_socket_closed(rig: Rig, world: Any) -> None:
    await create_shipment(rig.client, world)
    await rig.sim_server.close()  # connection refused from now on
    await rig.dispatch()
    error = await world.db.fetchval("SELECT last_error FROM outbox WHERE topic = 'carrier.order'")
    assert error == "CarrierUnavailable"


async def test_cancellation_is_pushed(rig: Rig, world: Any) -> None:
    code, _ = await pushed(rig, world)
    resp = await rig.client.post(f"/api/v1/shipments/{code}/cancel", headers=world.auth("staff1"))
    assert resp.status == 200
    assert await rig.dispatch() == 1
    assert (await rig.order_of(code))["cancelled"] is True
    assert (await shipment(rig, world, code))["carrier"]["cancel"] == "done"


async def test_cancelled_before_the_push_is_never_created(rig: Rig, world: Any) -> None:
    code = await create_shipment(rig.client, world)
    await rig.client.post(f"/api/v1/shipments/{code}/cancel", headers=world.auth("staff1"))
    await rig.dispatch()
    await rig.dispatch()
    assert await rig.sim_orders() == []


async def test_duplicate_and_out_of_order_reports(rig: Rig, world: Any) -> None:
    code, original = await pushed(rig, world)
    rig.sim.callback_url = None  # we post the reports ourselves
    headers = {"X-Callback-Secret": SECRET}

    def rep(status: int, time: str) -> dict[str, Any]:
        return {"originalID": original, "saleOrderCode": code, "status": status, "time": time}

    base = report_time(0)
    await world.db.execute("UPDATE shipments SET created_at = $1::text::timestamptz - interval '1 day'"
                           " WHERE tracking_code = $2", base, code)
    # One batch out of order: applied in time order.
    batch = [rep(10, report_time(10)), rep(6, report_time(8))]
    resp = await rig.client.post(EVENTS, json={"events": batch}, headers=headers)
    assert resp.status == 200 and await resp.json() == {"received": 2, "new": 2, "unreadable": 0}
    # The same again (a retried push), and again by polling: nothing new.
    resp = await rig.client.post(EVENTS, json=batch, headers=headers)
    assert (await resp.json())["new"] == 0
    # A later report, then an older one arriving late: kept, not applied.
    await rig.client.post(EVENTS, json=rep(12, report_time(12)), headers=headers)
    await rig.client.post(EVENTS, json=rep(11, report_time(11)), headers=headers)
    view = await shipment(rig, world, code)
    assert view["status"] == "out_for_delivery"
    assert [(e["event"], e["applied"]) for e in view["events"]] == [
        ("picked_up", True), ("arrived", True), ("arrived", False), ("out_for_delivery", True)]  # by time
    assert await world.db.fetchval("SELECT count(*) FROM carrier_reports") == 4
    # Unknown and impossible codes: kept in the timeline, logged, nothing crashes.
    await rig.client.post(EVENTS, json=[rep(99, report_time(13)), rep(6, report_time(13, 30)), {"garbage": True}],
                          headers=headers)
    view = await shipment(rig, world, code)
    assert view["status"] == "out_for_delivery"
    tail = view["events"][-2:]
    assert [(e["event"], e["applied"], e["details"]["carrier_status"]) for e in tail] == [
        ("carrier_report", False, 99), ("carrier_report", False, 6)]
    assert "refused" in tail[1]["details"]
    outcomes = {r["status_code"]: r["outcome"] for r in await world.db.fetch(
        "SELECT status_code, outcome FROM carrier_reports WHERE occurred_at >= $1::text::timestamptz",
        report_time(11))}
    assert outcomes == {11: "late", 12: "applied", 99: "unknown", 6: "refused"}


async def test_polling_fallback_applies_reports_once(rig: Rig, world: Any) -> None:
    code, original = await pushed(rig, world)
    rig.sim.callback_url = None  # the pushes are lost
    await rig.report(original, 6, minutes_ago=10)
    await rig.report(original, 12, minutes_ago=5)
    assert (await shipment(rig, world, code))["status"] == "created"
    assert await rig.poll() == 2
    assert await rig.poll() == 0
    assert (await shipment(rig, world, code))["status"] == "out_for_delivery"
    # A report both pushed and polled is applied once.
    rig.sim.callback_url = str(rig.client.make_url(EVENTS))
    await rig.report(original, 14, minutes_ago=1)
    assert await rig.poll() == 1
    view = await shipment(rig, world, code)
    assert view["status"] == "delivered" and [e["event"] for e in view["events"]].count("delivered") == 1


@pytest.mark.parametrize("headers", [{}, {"X-Callback-Secret": "wrong"}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": f"Basic {SECRET}"}, {"X-Callback-Secret": ""}])
async def test_wrong_callback_secret_is_401_and_writes_nothing(rig: Rig, world: Any,
                                                              headers: dict[str, str]) -> None:
    resp = await rig.client.post(EVENTS, json={"originalID": "VNP1", "status": 14, "time": "2026-01-01T00:00:00Z"},
                                 headers=headers)
    assert resp.status == 401 and resp.content_type == "application/problem+json"
    assert await world.db.fetchval("SELECT count(*) FROM carrier_reports") == 0


async def test_bearer_secret_and_bad_bodies(rig: Rig, world: Any) -> None:
    auth = {"Authorization": f"Bearer {SECRET}"}
    resp = await rig.client.post(EVENTS, data=b"{not json", headers=auth)
    assert resp.status == 400 and resp.content_type == "application/problem+json"
    resp = await rig.client.post(EVENTS, json={"originalID": "NOPE", "status": 14, "time": "2026-01-01T00:00:00Z"},
                                 headers=auth)
    assert resp.status == 200 and (await resp.json())["new"] == 1
    assert await world.db.fetchval("SELECT outcome FROM carrier_reports") == "no_order"


async def test_no_secret_configured_refuses_everything(aiohttp_client, settings, world) -> None:
    client = await aiohttp_client(await create_app(settings))
    resp = await client.post(EVENTS, json={}, headers={"X-Callback-Secret": ""})
    assert resp.status == 401


async def test_concurrent_callbacks_all_get_applied(rig: Rig, world: Any) -> None:
    code, original = await pushed(rig, world)
    headers = {"X-Callback-Secret": SECRET}
    times = [report_time(h) for h in range(1, 9)]
    await world.db.execute("UPDATE shipments SET created_at = $1::text::timestamptz - interval '1 day'"
                           " WHERE tracking_code = $2", report_time(0), code)
    bodies = [{"originalID": original, "status": 3, "time": t} for t in times] + [
        {"originalID": original, "status": 6, "time": report_time(9, 30)}]
    answers = await asyncio.gather(*(rig.client.post(EVENTS, json=b, headers=headers) for b in bodies))
    assert [a.status for a in answers] == [200] * len(bodies)
    outcomes = await world.db.fetch("SELECT outcome FROM carrier_reports")
    assert len(outcomes) == 9 and all(r["outcome"] for r in outcomes)
    assert (await shipment(rig, world, code))["status"] == "picked_up"


async def test_the_poll_loop_outlives_an_unreachable_operator(rig: Rig, world: Any) -> None:
    await rig.sim_server.close()
    task = asyncio.create_task(poll_forever(rig.pool, rig.proxy, rig.clock, 0.05))
    await asyncio.sleep(0.5)
    assert not task.done()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
