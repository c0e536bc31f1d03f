"""Confirmed VietQR payments: POST /api/v1/payments, idempotent by reference (SPEC §12)."""

from __future__ import annotations

import asyncio
from typing import Any

from postal.services.payments import set_bank
from tests.integration.scan_helpers import create_shipment

PAID_AT = "2026-11-20T10:15:00+07:00"


async def _paid_body(code: str, reference: str = "FT26324123456", amount: int = 45000) -> dict[str, Any]:
    return {"tracking_code": code, "amount": amount, "paid_at": PAID_AT, "reference": reference}


async def test_sixteen_concurrent_confirmations_record_one_payment(client, world) -> None:
    await set_bank(world.db, "AG-1", "970415", "0011001932418", "Trung tâm hành chính công Phú Thọ")
    code = await create_shipment(client, world, cod_amount=45000)
    body = await _paid_body(code.lower())
    answers = await asyncio.gather(*(client.post("/api/v1/payments", json=body, headers=world.auth("integ1"))
                                     for _ in range(16)))
    statuses = sorted(r.status for r in answers)
    assert statuses == [200] * 15 + [201], [await r.text() for r in answers]
    records = [await r.json() for r in answers]
    assert len({r["id"] for r in records}) == 1 and records[0]["tracking_code"] == code
    assert await world.db.fetchval("SELECT count(*) FROM payments") == 1


async def test_refusals(client, world) -> None:
    await set_bank(world.db, "AG-1", "970415", "0011001932418", "TT HCC PHU THO")
    code = await create_shipment(client, world, cod_amount=45000)
    free = await create_shipment(client, world)
    auth = world.auth("integ1")
    wrong_amount = await client.post("/api/v1/payments", json=await _paid_body(code, amount=40000), headers=auth)
    assert wrong_amount.status == 422 and (await wrong_amount.json())["errors"][0]["field"] == "amount"
    nothing_due = await client.post("/api/v1/payments", json=await _paid_body(free, "REF-FREE"), headers=auth)
    assert nothing_due.status == 422
    assert (await client.post("/api/v1/payments", json=await _paid_body(code), headers=auth)).status == 201
    other_body = await _paid_body(free, amount=45000)
    assert (await client.post("/api/v1/payments", json=other_body, headers=auth)).status == 409
    second_ref = await client.post("/api/v1/payments", json=await _paid_body(code, "FT-OTHER"), headers=auth)
    assert second_ref.status == 409
    assert (await client.post("/api/v1/payments", json=await _paid_body(code, "X1"),
                              headers=world.auth("staff1"))).status == 403
    admin = await client.post("/api/v1/payments", json=await _paid_body(code), headers=world.auth("admin"))
    assert admin.status == 200
    bad = await client.post("/api/v1/payments", json={"tracking_code": code, "amount": "45000",
                                                       "paid_at": "2026-11-20T10:15:00", "reference": "a b"},
                            headers=auth)
    assert bad.status == 422
    assert {e["field"] for e in (await bad.json())["errors"]} >= {"amount", "paid_at", "reference"}
    assert await world.db.fetchval("SELECT count(*) FROM payments") == 1


async def test_another_agencys_shipment_is_404(client, world) -> None:
    resp = await client.post("/api/v1/shipments", json={
        **(await _create_ag2_body()), "cod_amount": 10000}, headers=world.auth("staff2"))
    assert resp.status == 201, await resp.text()
    code = (await resp.json())["tracking_code"]
    answer = await client.post("/api/v1/payments", json=await _paid_body(code, amount=10000),
                               headers=world.auth("integ1"))
    assert answer.status == 404


async def _create_ag2_body() -> dict[str, Any]:
    from tests.integration.payloads import create_body

    body = create_body()
    body["post_office_code"] = "PO-2"
    body["dossier"]["code"] = "free form 1"
    return body


async def test_sla_report_counts_online_payments(client, world) -> None:
    from datetime import date, timedelta

    await set_bank(world.db, "AG-1", "970415", "0011001932418", "TT HCC PHU THO")
    paid = await create_shipment(client, world, cod_amount=30000)
    await create_shipment(client, world, cod_amount=30000)
    await create_shipment(client, world)  # nothing to pay: not in the share
    body = await _paid_body(paid, "FT-REPORT", 30000)
    assert (await client.post("/api/v1/payments", json=body, headers=world.auth("integ1"))).status == 201
    today = date.today()
    query = f"from={today - timedelta(days=7)}&to={today + timedelta(days=1)}"
    report = await (await client.get(f"/api/v1/reports/sla?{query}", headers=world.auth("staff1"))).json()
    [row] = report["rows"]
    assert row["paid_online"] == 1 and row["online_payment_rate"] == 50.0
    csv_text = await (await client.get(f"/api/v1/reports/sla?{query}",
                                       headers={**world.auth("staff1"), "Accept": "text/csv"})).text()
    header, line = csv_text.lstrip("\ufeff").splitlines()[:2]
    assert header.endswith("paid_online,online_payment_rate") and line.endswith(",1,50.00")
