"""Data-subject requests (SPEC §13): export by phone and early erasure, admin only (404 for other roles),
both written to the access log; erasure keeps what an open shipment needs."""

from __future__ import annotations

import pytest

from tests.integration import tracking_support as ts
from tests.integration.privacy_support import accesses

EXPORT = "/api/v1/citizens/export"
ERASE = "/api/v1/citizens/erase"


@pytest.mark.parametrize("who", ["staff1", "integ1", "courier1", "staff2"])
async def test_other_roles_get_404(client, world, db, who):
    await ts.create(client, world)
    assert (await client.get(EXPORT, params={"phone": ts.PHONE}, headers=world.auth(who))).status == 404
    assert (await client.post(ERASE, json={"phone": ts.PHONE}, headers=world.auth(who))).status == 404
    assert await db.fetchval("SELECT count(*) FROM shipments WHERE purged_at IS NOT NULL") == 0
    assert await accesses(db) == []


async def test_anonymous_is_401(client, world):
    assert (await client.get(EXPORT, params={"phone": ts.PHONE})).status == 401
    assert (await client.post(ERASE, json={"phone": ts.PHONE})).status == 401


async def test_export_answers_every_shipment_and_event_of_the_phone(client, world, db):
    first = (await ts.create(client, world))["tracking_code"]
    await ts.move(db, first, ts.PATHS["delivered"])
    second = (await ts.create(client, world, "pickup"))["tracking_code"]
    stranger = await client.post("/api/v1/shipments", json=ts.body() | {"citizen": {
        **ts.body()["citizen"], "phone": "0912000111"}}, headers=world.auth("staff1"))
    assert stranger.status == 201
    resp = await client.get(EXPORT, params={"phone": "+84 " + ts.PHONE[1:]}, headers=world.auth("admin"))
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    data = await resp.json()
    assert data["phone"] == ts.PHONE and data["count"] == 2
    assert [s["tracking_code"] for s in data["shipments"]] == [first, second]
    assert data["shipments"][0]["citizen"]["id_number"] == ts.ID_NUMBER
    assert [e["event"] for e in data["shipments"][0]["events"]] == ts.PATHS["delivered"]
    assert await accesses(db) == [("admin", "citizens.export", first), ("admin", "citizens.export", second)]


async def test_export_of_an_unknown_phone_is_audited_masked(client, world, db):
    data = await (await client.get(EXPORT, params={"phone": "0988777666"}, headers=world.auth("admin"))).json()
    assert data["shipments"] == []
    row = await db.fetchrow("SELECT action, shipment_id, subject FROM access_log")
    assert tuple(row) == ("citizens.export", None, "098****666")


async def test_bad_phone_is_422(client, world, db):
    for bad in ("12", "abc", ""):
        resp = await client.get(EXPORT, params={"phone": bad}, headers=world.auth("admin"))
        assert resp.status == 422, bad
        resp = await client.post(ERASE, json={"phone": bad}, headers=world.auth("admin"))
        assert resp.status == 422, bad
    assert (await client.post(ERASE, json={}, headers=world.auth("admin"))).status == 422
    assert await accesses(db) == []


async def test_erase_keeps_open_shipments(client, world, db):
    done = (await ts.create(client, world))["tracking_code"]
    await ts.move(db, done, ts.PATHS["returned"])
    cancelled = (await ts.create(client, world))["tracking_code"]
    await ts.move(db, cancelled, ts.PATHS["cancelled"])
    open_one = (await ts.create(client, world))["tracking_code"]
    await ts.move(db, open_one, ts.PATHS["out_for_delivery"])
    resp = await client.post(ERASE, json={"phone": ts.PHONE}, headers=world.auth("admin"))
    assert resp.status == 200, await resp.text()
    data = await resp.json()
    assert sorted(data["erased"]) == sorted([done, cancelled]) and ts.PHONE not in await resp.text()
    assert data["kept_open"] == [{"tracking_code": open_one, "status": "out_for_delivery"}]
    rows = {r["tracking_code"]: r for r in await db.fetch("SELECT * FROM shipments")}
    assert rows[done]["citizen_phone"] == "" and rows[done]["citizen_name"] == ts.MASKED
    assert rows[open_one]["citizen_phone"] == ts.PHONE and rows[open_one]["purged_at"] is None
    assert sorted(await accesses(db)) == sorted(("admin", "citizens.erase", c) for c in (done, cancelled, open_one))
    again = await (await client.get(EXPORT, params={"phone": ts.PHONE}, headers=world.auth("admin"))).json()
    assert [s["tracking_code"] for s in again["shipments"]] == [open_one]
