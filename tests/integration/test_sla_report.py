"""GET /api/v1/reports/sla against a hand-computed fixture (tests/integration/sla_fixture.py): JSON, CSV, scope."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import World
from tests.integration import sla_fixture

API = "/api/v1/reports/sla"
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
ZERO = {"created": 0, "picked_up": 0, "in_transit": 0, "out_for_delivery": 0, "delivery_failed": 0,
        "delivered": 0, "returned": 0, "cancelled": 0}
AG1_DELIVERY = {
    "agency_code": "AG-1", "direction": "delivery", "total": 8,
    "by_status": {**ZERO, "delivered": 5, "returned": 1, "cancelled": 1, "out_for_delivery": 1},
    "delivered_on_time": 3, "delivered_late": 2, "on_time_rate": 60.0,
    "median_hours": 96.0, "p95_hours": 169.6, "failed_attempt_rate": 37.5,
}
AG1_PICKUP = {
    "agency_code": "AG-1", "direction": "pickup", "total": 1, "by_status": {**ZERO, "created": 1},
    "delivered_on_time": 0, "delivered_late": 0, "on_time_rate": None, "median_hours": None, "p95_hours": None,
    "failed_attempt_rate": None,
}
AG2_DELIVERY = {
    "agency_code": "AG-2", "direction": "delivery", "total": 1, "by_status": {**ZERO, "delivered": 1},
    "delivered_on_time": 1, "delivered_late": 0, "on_time_rate": 100.0, "median_hours": 24.0, "p95_hours": 24.0,
    "failed_attempt_rate": 0.0,
}


def spec_fields(row: dict) -> dict:
    return {k: row[k] for k in AG1_DELIVERY}


async def report(client: TestClient, world: World, who: str = "staff1", headers: dict[str, str] | None = None, /,
                 **params: Any) -> Any:
    resp = await client.get(API, params={**OCTOBER, **params}, headers={**world.auth(who), **(headers or {})})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_staff_see_their_agency_computed_by_hand(client, world, db):
    await sla_fixture.build(db)
    body = await report(client, world)
    assert (body["from"], body["to"]) == ("2026-10-01", "2026-10-31")
    assert [spec_fields(r) for r in body["rows"]] == [AG1_DELIVERY, AG1_PICKUP]


async def test_admins_see_all_and_may_filter(client, world, db):
    await sla_fixture.build(db)
    body = await report(client, world, "admin")
    assert [spec_fields(r) for r in body["rows"]] == [AG1_DELIVERY, AG1_PICKUP, AG2_DELIVERY]
    body = await report(client, world, "admin", agency="AG-2")
    assert [spec_fields(r) for r in body["rows"]] == [AG2_DELIVERY]


async def test_one_local_day_and_its_edges(client, world, db):
    await sla_fixture.build(db)
    # 30/09 23:59 local is 16:59 UTC on 30/09: in September only; 01/11 00:00 local is 31/10 17:00 UTC: November.
    body = await report(client, world, **{"from": "2026-09-30", "to": "2026-09-30"})
    assert [(r["direction"], r["total"]) for r in body["rows"]] == [("delivery", 1)]
    body = await report(client, world, **{"from": "2026-11-01", "to": "2026-11-01"})
    assert [(r["direction"], r["total"]) for r in body["rows"]] == [("delivery", 1)]
    body = await report(client, world, **{"from": "2026-10-31", "to": "2026-10-31"})
    assert [(r["direction"], r["total"]) for r in body["rows"]] == [("pickup", 1)]
    assert (await report(client, world, **{"from": "2030-01-01", "to": "2030-12-31"}))["rows"] == []


async def test_csv_with_bom_parses_back(client, world, db):
    await sla_fixture.build(db)
    resp = await client.get(API, params=OCTOBER, headers={**world.auth("staff1"), "Accept": "text/csv"})
    assert resp.status == 200 and resp.content_type == "text/csv" and resp.charset == "utf-8"
    assert "attachment" in resp.headers["Content-Disposition"]
    raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["direction"] for r in rows] == ["delivery", "pickup"]
    delivery, pickup = rows
    assert delivery["agency_code"] == "AG-1" and delivery["total"] == "8"
    assert (delivery["by_status.delivered"], delivery["by_status.returned"], delivery["by_status.cancelled"]) == (
        "5", "1", "1")
    assert (delivery["delivered_on_time"], delivery["delivered_late"], delivery["on_time_rate"]) == ("3", "2", "60.00")
    assert (delivery["median_hours"], delivery["p95_hours"], delivery["failed_attempt_rate"]) == (
        "96.00", "169.60", "37.50")
    assert (pickup["on_time_rate"], pickup["median_hours"]) == ("", "")
    # A plain link (no Accept header) asks with format=csv; JSON stays the default.
    resp = await client.get(API, params={**OCTOBER, "format": "csv"}, headers=world.auth("staff1"))
    assert resp.content_type == "text/csv"
    resp = await client.get(API, params=OCTOBER, headers={**world.auth("staff1"), "Accept": "application/json"})
    assert resp.content_type == "application/json"


@pytest.mark.parametrize(("params", "field"), [
    ({"to": "2026-10-31"}, "from"),
    ({"from": "2026-10-01"}, "to"),
    ({"from": "2026-02-30", "to": "2026-10-31"}, "from"),
    ({"from": "01/10/2026", "to": "2026-10-31"}, "from"),
    ({"from": "2026-10-01", "to": "tomorrow"}, "to"),
    ({"from": "2026-10-31", "to": "2026-10-01"}, "to"),
    ({"from": "", "to": ""}, "from"),
])
async def test_bad_periods_are_422_in_vietnamese(client, world, params, field):
    resp = await client.get(API, params=params, headers=world.auth("staff1"))
    assert resp.status == 422 and resp.content_type == "application/problem+json"
    problem = await resp.json()
    assert field in [e["field"] for e in problem["errors"]]
    assert any(word in problem["detail"] for word in ("Ngày", "ngày", "Thiếu", "không hợp lệ"))


async def test_who_may_read(client, world):
    resp = await client.get(API, params={**OCTOBER, "agency": "AG-2"}, headers=world.auth("staff1"))
    assert resp.status == 404
    resp = await client.get(API, params={**OCTOBER, "agency": "AG-1"}, headers=world.auth("staff1"))
    assert resp.status == 200
    resp = await client.get(API, params={**OCTOBER, "agency": "NOPE"}, headers=world.auth("admin"))
    assert resp.status == 404
    for who, status in (("courier1", 403), ("integ1", 403)):
        assert (await client.get(API, params=OCTOBER, headers=world.auth(who))).status == status
    assert (await client.get(API, params=OCTOBER)).status == 401


async def test_documented_in_openapi(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    op = doc["paths"]["/api/v1/reports/sla"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"from", "to", "agency"}
    assert {"/api/v1/shipments/{code}/reschedule", "/api/v1/shipments/{code}/apology.pdf"} <= set(doc["paths"])
