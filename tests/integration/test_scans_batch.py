"""POST /api/v1/scans/batch over HTTP: in order, one result per item, bad items never block good ones."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.conftest import World
from tests.integration.scan_helpers import create_shipment, delivery_proof, scan, scan_body, walk


async def _batch(client: TestClient, world: World, scans: list[Any], who: str = "courier1") -> ClientResponse:
    return await client.post("/api/v1/scans/batch", json={"scans": scans}, headers=world.auth(who))


async def test_batch_with_good_late_and_bad_items(client, world, db):
    code = await create_shipment(client, world)
    other_office = await create_shipment(client, world, post_office_code="PO-2")
    items: list[Any] = [
        scan_body(code, "picked_up", -30),
        scan_body(code, "arrived", -20),
        scan_body(code, "out_for_delivery", -10),
        scan_body(code, "arrived", -25),                       # late: kept, not applied
        scan_body(code, "picked_up", -5),                      # refused: 409
        {"code": code, "event": "arrived"},                    # malformed: 422
        scan_body(other_office, "picked_up", -5),              # another post office: 404
        scan_body("RA000000000VN", "picked_up", -5),           # bad check digit: 422
        "not an object",                                       # 422
        scan_body(code, "delivered", -1, proof=delivery_proof()),
    ]
    resp = await _batch(client, world, items)
    assert resp.status == 200, await resp.text()
    results = (await resp.json())["results"]
    assert [r["status"] for r in results] == [201, 201, 201, 201, 409, 422, 404, 422, 422, 201]
    assert results[0]["client_event_id"] == items[0]["client_event_id"]
    assert results[3]["event"]["applied"] is False
    assert results[4]["error"]["current_status"] == "out_for_delivery"
    assert results[5]["client_event_id"] is None and results[5]["error"]["errors"]
    assert results[9]["event"]["event"] == "delivered"
    shipment = await (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))).json()
    assert shipment["status"] == "delivered"
    assert len(shipment["events"]) == 5


async def test_batch_replay_is_idempotent(client, world, db):
    code = await create_shipment(client, world)
    items = [scan_body(code, "picked_up", -3), scan_body(code, "arrived", -2), scan_body(code, "arrived", -1)]
    first = await (await _batch(client, world, items)).json()
    assert [r["status"] for r in first["results"]] == [201, 201, 201]
    again = await (await _batch(client, world, [*items, items[0]])).json()
    assert [r["status"] for r in again["results"]] == [200, 200, 200, 200]
    assert [r["event"]["id"] for r in again["results"][:3]] == [r["event"]["id"] for r in first["results"]]
    ids = [uuid.UUID(i["client_event_id"]) for i in items]
    assert await db.fetchval("SELECT count(*) FROM shipment_events WHERE client_event_id = ANY($1::uuid[])",
                             ids) == 3


async def test_single_scan_then_batch_replay(client, world):
    code = await create_shipment(client, world)
    body = scan_body(code, "picked_up")
    assert (await scan(client, world, body)).status == 201
    results = (await (await _batch(client, world, [body])).json())["results"]
    assert results[0]["status"] == 200


async def test_batch_shape_errors(client, world):
    code = await create_shipment(client, world)
    resp = await client.post("/api/v1/scans/batch", json={"scans": "nope"}, headers=world.auth("courier1"))
    assert resp.status == 422
    resp = await client.post("/api/v1/scans/batch", json=[], headers=world.auth("courier1"))
    assert resp.status == 422
    too_many = [scan_body(code, "arrived") for _ in range(501)]
    resp = await client.post("/api/v1/scans/batch", json={"scans": too_many}, headers=world.auth("courier1"))
    assert resp.status == 422
    resp = await _batch(client, world, [scan_body(code, "picked_up")], who="staff1")
    assert resp.status == 403
    resp = await _batch(client, world, [])
    assert resp.status == 200 and (await resp.json())["results"] == []


async def test_batch_of_five_hundred(client, world, db):
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up"], start=-600)
    items = [scan_body(code, "arrived", -500 + i * 0.5) for i in range(500)]
    resp = await _batch(client, world, items)
    results = (await resp.json())["results"]
    assert len(results) == 500 and {r["status"] for r in results} == {201}
    assert all(r["event"]["applied"] for r in results)
    assert await db.fetchval("SELECT count(*) FROM shipment_events") == 501
