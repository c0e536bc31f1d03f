"""Issue 14 items 7–8 over HTTP: papers ticked at pickup and cash confirmed at delivery (API and pages),
the courier list grouped by status with the lifecycle's names, no UPU codes, and ``?q=`` search."""

from __future__ import annotations

import json
import re

from tests.integration.scan_helpers import create_shipment, delivery_proof, scan, scan_body, walk

PASSWORD = "correct-horse-battery"
DOCS = [{"name": "Tờ khai cấp đổi giấy phép lái xe", "kind": "original", "count": 1},
        {"name": "Bản sao CCCD", "kind": "copy", "count": 2}]


async def _login(client) -> None:
    resp = await client.post("/login", data={"username": "courier1", "password": PASSWORD}, allow_redirects=False)
    assert resp.status == 302


async def _details(world, client_event_id: str) -> dict:
    raw = await world.db.fetchval("SELECT details::text FROM shipment_events WHERE client_event_id = $1",
                                  client_event_id)
    return dict(json.loads(raw))


async def test_pickup_documents_checked_are_kept_on_the_event(client, world):
    code = await create_shipment(client, world, direction="pickup", **{"dossier.documents": DOCS})
    checked = [{"name": "Tờ khai cấp đổi giấy phép lái xe", "kind": "original", "count": 1, "present": True},
               {"name": "Ba\u0309n sao CCCD", "kind": "copy", "count": 2, "present": False}]  # NFD in, NFC kept
    body = scan_body(code, "picked_up", -5, documents_checked=checked)
    resp = await scan(client, world, body)
    assert resp.status == 201, await resp.text()
    details = await _details(world, body["client_event_id"])
    assert details["documents_checked"][1] == {"name": "Bản sao CCCD", "kind": "copy", "count": 2, "present": False}
    # The shipment's timeline shows it to staff; a replay answers the stored event, nothing added.
    resp = await scan(client, world, body)
    assert resp.status == 200
    assert await world.db.fetchval("SELECT count(*) FROM shipment_events WHERE client_event_id = $1",
                                   body["client_event_id"]) == 1


async def test_documents_checked_is_validated_and_only_on_pickup(client, world):
    code = await create_shipment(client, world, direction="pickup", **{"dossier.documents": DOCS})
    bad = [
        [{"name": "", "kind": "copy", "count": 1, "present": True}],
        [{"name": "A", "kind": "photo", "count": 1, "present": True}],
        [{"name": "A", "kind": "copy", "count": 0, "present": True}],
        [{"name": "A", "kind": "copy", "count": 1}],                    # present is required
        [{"name": "A\u0000B", "kind": "copy", "count": 1, "present": True}],
        [{"name": "A", "kind": "copy", "count": 1, "present": True}] * 101,
        "not a list",
    ]
    for docs in bad:
        resp = await scan(client, world, scan_body(code, "picked_up", -5, documents_checked=docs))
        assert resp.status in (400, 422), (docs, await resp.text())
        assert (await resp.json())["type"]
    assert await world.db.fetchval(
        "SELECT count(*) FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id"
        " WHERE s.tracking_code = $1", code) == 0
    await walk(client, world, code, ["picked_up"], start=-10)
    resp = await scan(client, world, scan_body(code, "arrived", -1, documents_checked=[
        {"name": "A", "kind": "copy", "count": 1, "present": True}]))
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["field"] == "documents_checked"


async def test_cod_collected_on_delivery(client, world):
    code = await create_shipment(client, world, cod_amount=150000)
    await walk(client, world, code, ["picked_up", "out_for_delivery"], start=-10)
    # An explicit "not collected" is refused and not counted as a wrong verification.
    resp = await scan(client, world, scan_body(code, "delivered", -1, proof=delivery_proof(cod_collected=False)))
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["field"] == "proof.cod_collected"
    assert await world.db.fetchval(
        "SELECT verification_failures FROM shipments WHERE tracking_code = $1", code) == 0
    resp = await scan(client, world, scan_body(code, "delivered", -1, proof=delivery_proof(cod_collected="yes")))
    assert resp.status in (400, 422)
    body = scan_body(code, "delivered", -1, proof=delivery_proof(cod_collected=True))
    resp = await scan(client, world, body)
    assert resp.status == 201, await resp.text()
    details = await _details(world, body["client_event_id"])
    assert details["cod_amount"] == 150000 and details["cod_collected"] is True


async def test_cod_unconfirmed_from_an_older_device_is_kept_as_unconfirmed(client, world):
    code = await create_shipment(client, world, cod_amount=20000)
    await walk(client, world, code, ["picked_up", "out_for_delivery"], start=-10)
    body = scan_body(code, "delivered", -1, proof=delivery_proof())
    resp = await scan(client, world, body)
    assert resp.status == 201
    details = await _details(world, body["client_event_id"])
    assert details["cod_amount"] == 20000 and details["cod_collected"] is None
    # No COD: nothing about money on the event, whatever the device says.
    free = await create_shipment(client, world)
    await walk(client, world, free, ["picked_up", "out_for_delivery"], start=-10)
    body = scan_body(free, "delivered", -1, proof=delivery_proof(cod_collected=True))
    assert (await scan(client, world, body)).status == 201
    assert "cod_collected" not in await _details(world, body["client_event_id"])


async def test_openapi_documents_the_new_fields(client, world):
    spec = await (await client.get("/api/v1/openapi.json")).json()
    text = str(spec)
    assert "documents_checked" in text and "cod_collected" in text and "DocumentCheckIn" in text


async def test_item_pages_show_papers_and_cod(client, world):
    pickup = await create_shipment(client, world, direction="pickup", **{"dossier.documents": DOCS})
    cod = await create_shipment(client, world, cod_amount=150000)
    await walk(client, world, cod, ["picked_up", "out_for_delivery"], start=-10)
    await _login(client)
    html = await (await client.get(f"/courier/items/{pickup}")).text()
    assert 'id="pickup-form"' in html and html.count('class="doc-check"') == 2
    assert "Bản sao CCCD — bản sao × 2" in html
    html = await (await client.get(f"/courier/items/{cod}")).text()
    assert "150.000&nbsp;₫" in html
    assert re.search(r'<input type="checkbox" id="cod-collected" required>', html)
    assert "(EMD)" not in html and "(EMH)" not in html and "(EMI)" not in html  # no UPU codes for people


async def test_list_grouped_by_status_with_counts_and_search(client, world):
    fresh = [await create_shipment(client, world) for _ in range(2)]
    moving = await create_shipment(client, world, **{"citizen.name": "Đặng Văn Khỏe", "citizen.phone": "0987654321"})
    await walk(client, world, moving, ["picked_up", "out_for_delivery"], start=-10)
    await _login(client)
    html = await (await client.get("/courier")).text()
    # Groups in the order of the day's work, named as the staff pages name statuses.
    out_at, created_at = html.index('data-status="out_for_delivery"'), html.index('data-status="created"')
    assert out_at < created_at
    assert re.search(r'Bưu tá đang đi phát \(<span class="group-count">1</span>\)', html)
    assert re.search(r'Đã tạo đơn, chờ bưu tá đến lấy \(<span class="group-count">\d+</span>\)', html)
    # ?q= filters on the server: accents and case ignored, partial codes and phones.
    for q in ("khoe", "ĐẶNG  KHỎE", moving[-6:-2], "0987654"):
        html = await (await client.get("/courier", params={"q": q})).text()
        assert moving in html and all(c not in html for c in fresh), q
    html = await (await client.get("/courier", params={"q": "không-có-ai"})).text()
    assert "Không có bưu gửi nào khớp" in html and moving not in html
    resp = await client.get("/courier", params={"q": "<script>alert(1)</script>" + "x" * 5000})
    assert resp.status == 200 and "<script>alert" not in await resp.text()
