"""Odd scan bodies answer 4xx problems, never a 500 (control characters, types, ranges, dates)."""

from __future__ import annotations

from tests.integration.scan_helpers import create_shipment, delivery_proof, scan_body, walk


async def test_odd_bodies_are_4xx_never_500(client, world):
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery"], start=-5)
    cases = [
        scan_body(code, "delivery_failed", reason_code="other", note="\ud800 x"),
        scan_body(code, "delivered", proof=delivery_proof(recipient_name="A\ud800")),
        scan_body(code, "delivered", proof=delivery_proof(recipient_name="A\u0000B")),
        scan_body(code + "\u0000", "arrived"),
        scan_body("\ud800", "arrived"),
        scan_body(code, "delivered", proof={"recipient_name": 5, "relationship": [], "verification": "x"}),
        scan_body(code, "delivered", proof=delivery_proof(relationship="authorized", authorization_number="\ud800")),
        {**scan_body(code, "arrived"), "location": {"lat": 1e308, "lon": 0}},
        {**scan_body(code, "arrived"), "occurred_at": "0001-01-01T00:00:00+14:00"},
        {**scan_body(code, "arrived"), "occurred_at": "9999-12-31T23:59:59-14:00"},
        {**scan_body(code, "arrived"), "note": "a" * 1001},
    ]
    for body in cases:
        resp = await client.post("/api/v1/scans", json=body, headers=world.auth("courier1"))
        assert 400 <= resp.status < 500, (resp.status, await resp.text())
