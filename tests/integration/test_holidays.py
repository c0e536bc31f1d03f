"""The working-day calendar: seeded at migrate, read by staff, corrected by admins, used for pickup due dates."""

from __future__ import annotations

from datetime import date, timedelta

from tests.integration.payloads import create_body

API = "/api/v1/holidays"


async def test_seeded_with_the_official_holidays(client, world):
    year = date.today().year
    resp = await client.get(API, params={"year": str(year)}, headers=world.auth("staff1"))
    assert resp.status == 200
    days = {h["day"]: h for h in (await resp.json())["items"]}
    assert f"{year}-09-02" in days and days[f"{year}-09-02"]["kind"] == "holiday"
    assert f"{year}-01-01" in days


async def test_admins_edit_and_others_may_not(client, world, db):
    day = "2026-12-31"
    body = {"name": "Nghỉ bù theo thông báo", "kind": "holiday"}
    assert (await client.put(f"{API}/{day}", json=body, headers=world.auth("staff1"))).status == 403
    resp = await client.put(f"{API}/{day}", json=body, headers=world.auth("admin"))
    assert resp.status == 200
    assert await resp.json() == {"day": day, "name": "Nghỉ bù theo thông báo", "kind": "holiday", "source": "admin"}
    assert (await client.put(f"{API}/{day}", json={"name": " "}, headers=world.auth("admin"))).status == 422
    assert (await client.put(f"{API}/2026-02-30", json=body, headers=world.auth("admin"))).status == 404
    assert (await client.delete(f"{API}/{day}", headers=world.auth("admin"))).status == 204
    assert (await client.delete(f"{API}/{day}", headers=world.auth("admin"))).status == 404
    assert await db.fetchval("SELECT count(*) FROM holidays WHERE day = $1", date(2026, 12, 31)) == 0


async def test_a_new_holiday_moves_the_pickup_due_date(client, world, db):
    body = create_body(direction="pickup", **{"dossier.appointment_date": None})
    before = await (await client.post("/api/v1/shipments", json=body, headers=world.auth("staff1"))).json()
    due = date.fromisoformat(before["due_date"])
    await client.put(f"{API}/{due.isoformat()}", json={"name": "Nghỉ đột xuất"}, headers=world.auth("admin"))
    again = create_body(direction="pickup", **{"dossier.appointment_date": None})  # a new dossier: one open order each
    after = await (await client.post("/api/v1/shipments", json=again, headers=world.auth("staff1"))).json()
    assert date.fromisoformat(after["due_date"]) > due
    assert date.fromisoformat(after["due_date"]) - due <= timedelta(days=14)
