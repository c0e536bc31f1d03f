"""POST /api/v1/scans over HTTP against real PostgreSQL: lifecycle, refusals, replays, races, scope."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from postal.domain.signing import qr_payload, sign_code
from tests.integration.scan_helpers import create_shipment, delivery_proof, now_iso, scan, scan_body, walk

SECRET = b"test-secret-key-not-for-production"


async def test_full_delivery_lifecycle(client, world, db):
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "arrived", "arrived", "out_for_delivery", "delivery_failed",
                                     "out_for_delivery"], start=-30)
    resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof()))
    assert resp.status == 201, await resp.text()
    data = await resp.json()
    assert data["status"] == "delivered"
    assert data["event"]["event"] == "delivered" and data["event"]["upu_code"] == "EMI"
    assert data["event"]["applied"] is True
    details = data["event"]["details"]
    assert details["recipient_name"] == "Nguyễn Thị Hồng Nhung" and details["verification_method"] == "id_last4"
    assert "2345" not in str(details)
    shipment = await (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("courier1"))).json()
    assert shipment["status"] == "delivered" and shipment["failed_attempts"] == 1
    assert [e["event"] for e in shipment["events"]] == [
        "picked_up", "arrived", "arrived", "out_for_delivery", "delivery_failed", "out_for_delivery", "delivered"]
    assert [e["upu_code"] for e in shipment["events"]][:2] == ["EMA", "EMD"]
    topics = await db.fetch("SELECT topic, payload FROM outbox WHERE shipment_id = $1 ORDER BY id", shipment["id"])
    changed = [r for r in topics if r["topic"] == "shipment.status_changed"]
    assert len(changed) == 7
    assert [r["topic"] for r in topics].count("notification.otp") == 2


async def test_full_pickup_lifecycle(client, world):
    code = await create_shipment(client, world, direction="pickup")
    await walk(client, world, code, ["picked_up", "arrived", "out_for_delivery"], start=-10)
    resp = await scan(client, world, scan_body(code, "delivered", proof={"recipient_name": "Trần Văn Cán Bộ"}))
    assert resp.status == 201, await resp.text()
    data = await resp.json()
    assert data["status"] == "delivered"
    assert data["event"]["details"]["recipient_name"] == "Trần Văn Cán Bộ"


async def test_returned_after_max_attempts(client, world):
    code = await create_shipment(client, world)
    events = ["picked_up"] + ["out_for_delivery", "delivery_failed"] * 3
    await walk(client, world, code, events, start=-30)
    resp = await scan(client, world, scan_body(code, "out_for_delivery"))
    assert resp.status == 409
    problem = await resp.json()
    assert problem["current_status"] == "delivery_failed" and problem["allowed_events"] == ["returned"]
    resp = await scan(client, world, scan_body(code, "returned"))
    assert resp.status == 201
    assert (await resp.json())["status"] == "returned"


REFUSED = [
    ([], "arrived"), ([], "out_for_delivery"), ([], "delivery_failed"), ([], "delivered"), ([], "returned"),
    ([], "cancel"),
    (["picked_up"], "picked_up"), (["picked_up"], "delivery_failed"), (["picked_up"], "returned"),
    (["picked_up", "arrived"], "picked_up"), (["picked_up", "arrived"], "returned"),
    (["picked_up", "out_for_delivery"], "out_for_delivery"), (["picked_up", "out_for_delivery"], "arrived"),
    (["picked_up", "out_for_delivery", "delivery_failed"], "delivered"),
    (["picked_up", "out_for_delivery", "delivery_failed"], "delivery_failed"),
    (["picked_up", "out_for_delivery", "delivery_failed", "returned"], "out_for_delivery"),
]


@pytest.mark.parametrize(("path", "event"), REFUSED)
async def test_refused_transitions(client, world, path, event):
    code = await create_shipment(client, world)
    await walk(client, world, code, path, start=-20)
    extra: dict[str, Any] = {"reason_code": "absent"} if event == "delivery_failed" else {}
    if event == "delivered":
        extra = {"proof": delivery_proof()}
    resp = await scan(client, world, scan_body(code, event, **extra))
    assert resp.status == 409, await resp.text()
    assert resp.content_type == "application/problem+json"
    problem = await resp.json()
    status = (path and {"picked_up": "picked_up", "arrived": "in_transit", "out_for_delivery": "out_for_delivery",
                       "delivery_failed": "delivery_failed", "returned": "returned"}[path[-1]]) or "created"
    assert problem["current_status"] == status
    assert status in problem["detail"]


async def test_cancelled_shipment_refuses_scans(client, world):
    code = await create_shipment(client, world)
    resp = await client.post(f"/api/v1/shipments/{code}/cancel", headers=world.auth("staff1"))
    assert resp.status == 200
    resp = await scan(client, world, scan_body(code, "picked_up"))
    assert resp.status == 409
    assert (await resp.json())["current_status"] == "cancelled"


async def test_code_forms(client, world):
    code = await create_shipment(client, world)
    spaced = f" {code[:2].lower()} {code[2:6]} {code[6:11]} {code[11:].lower()} "
    resp = await scan(client, world, scan_body(spaced, "picked_up", -5))
    assert resp.status == 201
    resp = await scan(client, world, scan_body(qr_payload("http://postal.test", code, SECRET), "arrived", -4))
    assert resp.status == 201, await resp.text()
    resp = await scan(client, world, scan_body(f"{code}.{sign_code(code, SECRET)}", "arrived", -3))
    assert resp.status == 201
    forged = f"http://postal.test/q/{code}.AAAAAAAA"
    resp = await scan(client, world, scan_body(forged, "arrived", -2))
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["field"] == "code"
    resp = await scan(client, world, scan_body(code[:-3] + "9VN" if code[-3] != "9" else code[:-3] + "8VN", "arrived"))
    assert resp.status == 422


async def test_replay_answers_stored_event(client, world, db):
    code = await create_shipment(client, world)
    body = scan_body(code, "picked_up")
    first = await scan(client, world, body)
    assert first.status == 201
    again = await scan(client, world, body)
    assert again.status == 200
    one, two = await first.json(), await again.json()
    assert one["event"]["id"] == two["event"]["id"] and two["status"] == "picked_up"
    await walk(client, world, code, ["arrived"], start=1)
    later = await scan(client, world, body)
    assert later.status == 200 and (await later.json())["event"]["id"] == one["event"]["id"]
    assert await db.fetchval("SELECT count(*) FROM shipment_events WHERE client_event_id = $1",
                             uuid.UUID(body["client_event_id"])) == 1


async def test_replay_with_other_event_or_shipment_is_conflict(client, world):
    code, other = await create_shipment(client, world), await create_shipment(client, world)
    body = scan_body(code, "picked_up")
    assert (await scan(client, world, body)).status == 201
    resp = await scan(client, world, {**body, "code": other})
    assert resp.status == 409
    assert "client_event_id" in (await resp.json())["detail"]
    resp = await scan(client, world, {**body, "event": "arrived"})
    assert resp.status == 409


async def test_sixteen_concurrent_replays(client, world, db):
    code = await create_shipment(client, world)
    body = scan_body(code, "picked_up")
    responses = await asyncio.gather(*(scan(client, world, body) for _ in range(16)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] * 15 + [201], statuses
    ids = {(await r.json())["event"]["id"] for r in responses}
    assert len(ids) == 1
    assert await db.fetchval("SELECT count(*) FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id"
                             " WHERE s.tracking_code = $1", code) == 1


async def test_racing_scans_apply_once(client, world, db):
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery"], start=-10)
    bodies = [scan_body(code, "delivery_failed", reason_code="absent") for _ in range(4)]
    bodies += [scan_body(code, "delivered", proof=delivery_proof()) for _ in range(4)]
    for body in bodies:  # one instant: none is late, so every loser meets the winner's status
        body["occurred_at"] = bodies[0]["occurred_at"]
    responses = await asyncio.gather(*(scan(client, world, b) for b in bodies))
    statuses = [r.status for r in responses]
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 7, statuses
    for r in responses:
        if r.status == 409:
            assert (await r.json())["current_status"] in ("delivered", "delivery_failed")
    count = await db.fetchval("SELECT count(*) FROM outbox o JOIN shipments s ON s.id = o.shipment_id"
                              " WHERE s.tracking_code = $1 AND topic = 'shipment.status_changed'", code)
    assert count == 3


async def test_late_scan_is_kept_but_not_applied(client, world, db):
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "arrived", "out_for_delivery"], start=-10)
    resp = await scan(client, world, scan_body(code, "arrived", -9.5))
    assert resp.status == 201
    data = await resp.json()
    assert data["event"]["applied"] is False and data["status"] == "out_for_delivery"
    shipment = await (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))).json()
    assert shipment["status"] == "out_for_delivery"
    assert [(e["event"], e["applied"]) for e in shipment["events"]] == [
        ("picked_up", True), ("arrived", False), ("arrived", True), ("out_for_delivery", True)]


async def test_future_and_bad_bodies(client, world):
    code = await create_shipment(client, world)
    resp = await scan(client, world, scan_body(code, "picked_up", 30))
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["field"] == "occurred_at"
    resp = await scan(client, world, scan_body(code, "picked_up", 5))
    assert resp.status == 201
    naive = scan_body(code, "arrived")
    naive["occurred_at"] = "2026-01-01T09:00:00"
    assert (await scan(client, world, naive)).status == 422
    assert (await scan(client, world, {**scan_body(code, "arrived"), "client_event_id": "nope"})).status == 422
    assert (await scan(client, world, {**scan_body(code, "arrived"), "event": "teleported"})).status == 422
    bad_geo = scan_body(code, "arrived", location={"lat": 91, "lon": 105})
    assert (await scan(client, world, bad_geo)).status == 422
    resp = await client.post("/api/v1/scans", data=b"{not json", headers=world.auth("courier1"))
    assert resp.status == 400


async def test_location_and_note_are_kept(client, world):
    code = await create_shipment(client, world)
    resp = await scan(client, world, scan_body(code, "picked_up", location={"lat": 21.31, "lon": 105.6},
                                               note="Đã niêm phong"))
    data = await resp.json()
    assert data["event"]["location"] == {"lat": 21.31, "lon": 105.6}
    assert data["event"]["details"]["note"] == "Đã niêm phong"
    assert data["event"]["post_office_code"] == "PO-1"


async def test_delivery_failed_needs_a_reason(client, world):
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery"], start=-5)
    assert (await scan(client, world, scan_body(code, "delivery_failed"))).status == 422
    assert (await scan(client, world, scan_body(code, "delivery_failed", reason_code="bored"))).status == 422
    assert (await scan(client, world, scan_body(code, "delivery_failed", reason_code="other"))).status == 422
    resp = await scan(client, world, scan_body(code, "delivery_failed", reason_code="refused"))
    assert resp.status == 201
    data = await resp.json()
    assert data["event"]["details"]["reason_code"] == "refused" and data["event"]["upu_code"] == "EMH"
    assert data["shipment"]["failed_attempts"] == 1


async def test_scope_and_roles(client, world):
    code = await create_shipment(client, world)
    resp = await scan(client, world, scan_body(code, "picked_up"), who="courier2")
    assert resp.status == 404
    for who in ("staff1", "admin", "integ1"):
        resp = await scan(client, world, scan_body(code, "picked_up"), who=who)
        assert resp.status == 403, who
    resp = await client.post("/api/v1/scans", json=scan_body(code, "picked_up"))
    assert resp.status == 401
    assert (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("courier1"))).status == 200
    assert (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("courier2"))).status == 404


async def test_openapi_lists_scans(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/scans" in doc["paths"] and "/api/v1/scans/batch" in doc["paths"]


async def test_now_iso_helper():
    assert now_iso().endswith("+00:00")


async def test_racing_pickups_at_different_instants(client, world, db):
    code = await create_shipment(client, world)
    bodies = [scan_body(code, "picked_up", -1 + i / 100) for i in range(8)]
    responses = await asyncio.gather(*(scan(client, world, b) for b in bodies))
    applied = [(await r.json())["event"]["applied"] for r in responses if r.status == 201]
    assert applied.count(True) == 1  # the others are refused, or kept as late scans
    assert all(r.status in (201, 409) for r in responses)
    assert await db.fetchval("SELECT count(*) FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id"
                             " WHERE s.tracking_code = $1 AND e.applied", code) == 1


async def test_racing_pickups_apply_once(client, world, db):
    code = await create_shipment(client, world)
    bodies = [scan_body(code, "picked_up", -1) for _ in range(8)]
    for body in bodies:  # one instant: none is late, so the losers are refused
        body["occurred_at"] = bodies[0]["occurred_at"]
    responses = await asyncio.gather(*(scan(client, world, b) for b in bodies))
    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [409] * 7, statuses
    assert await db.fetchval("SELECT count(*) FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id"
                             " WHERE s.tracking_code = $1", code) == 1


async def test_racing_arrivals_never_go_back(client, world, db):
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up"], start=-30)
    bodies = [scan_body(code, "arrived", -20 + i) for i in range(10)]
    responses = await asyncio.gather(*(scan(client, world, b) for b in reversed(bodies)))
    assert all(r.status == 201 for r in responses)
    row = await db.fetchrow("SELECT last_applied_at, status FROM shipments WHERE tracking_code = $1", code)
    newest = await db.fetchval("SELECT max(occurred_at) FROM shipment_events e JOIN shipments s"
                               " ON s.id = e.shipment_id WHERE s.tracking_code = $1", code)
    assert row["status"] == "in_transit" and row["last_applied_at"] == newest
    applied = await db.fetch("SELECT occurred_at FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id"
                             " WHERE s.tracking_code = $1 AND e.applied ORDER BY e.id", code)
    times = [r["occurred_at"] for r in applied]
    assert times == sorted(times)  # applied events never went back in time
