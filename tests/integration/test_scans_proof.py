"""Handover proof over HTTP: ID digits, one-time code from the outbox, lockout, authorised proxies, attachments."""

from __future__ import annotations

import io
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient
from PIL import Image

from tests.conftest import World
from tests.integration.scan_helpers import create_shipment, delivery_proof, scan, scan_body, walk


async def _out_for_delivery(client: TestClient, world: World, **changes: Any) -> str:
    code = await create_shipment(client, world, **changes)
    await walk(client, world, code, ["picked_up", "out_for_delivery"], start=-10)
    return code


async def _otp(db: asyncpg.Connection, code: str) -> str:
    return await db.fetchval(
        "SELECT o.payload->>'otp' FROM outbox o JOIN shipments s ON s.id = o.shipment_id"
        " WHERE s.tracking_code = $1 AND o.topic = 'notification.otp' ORDER BY o.id DESC LIMIT 1", code)


async def test_missing_or_incomplete_proof(client, world):
    code = await _out_for_delivery(client, world)
    resp = await scan(client, world, scan_body(code, "delivered"))
    assert resp.status == 422
    resp = await scan(client, world, scan_body(code, "delivered", proof={"recipient_name": "A"}))
    assert resp.status == 422
    fields = {e["field"] for e in (await resp.json())["errors"]}
    assert {"proof.relationship", "proof.verification"} <= fields
    proxy = delivery_proof(relationship="authorized")
    resp = await scan(client, world, scan_body(code, "delivered", proof=proxy))
    assert resp.status == 422
    assert "proof.authorization_number" in {e["field"] for e in (await resp.json())["errors"]}
    resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof(value="12")))
    assert resp.status == 422


async def test_authorised_proxy(client, world):
    code = await _out_for_delivery(client, world)
    proof = delivery_proof(relationship="authorized", authorization_number="GUQ-15/2026",
                           recipient_name="Trần Văn Đức")
    resp = await scan(client, world, scan_body(code, "delivered", proof=proof))
    assert resp.status == 201, await resp.text()
    details = (await resp.json())["event"]["details"]
    assert details["relationship"] == "authorized" and details["authorization_number"] == "GUQ-15/2026"


async def test_pickup_handover_needs_officer_name(client, world):
    code = await create_shipment(client, world, direction="pickup")
    await walk(client, world, code, ["picked_up"], start=-5)
    assert (await scan(client, world, scan_body(code, "delivered"))).status == 422
    assert (await scan(client, world, scan_body(code, "delivered", proof={"recipient_name": "  "}))).status == 422
    resp = await scan(client, world, scan_body(code, "delivered", proof={"recipient_name": "Lê Thị Cán Bộ"}))
    assert resp.status == 201


async def test_otp_path(client, world, db):
    code = await _out_for_delivery(client, world)
    otp = await _otp(db, code)
    assert otp is not None and len(otp) == 6 and otp.isdigit()
    stored = await db.fetchrow("SELECT otp_hash, otp_expires_at FROM shipments WHERE tracking_code = $1", code)
    assert stored["otp_hash"] and otp not in stored["otp_hash"]
    shipment = await (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))).text()
    assert otp not in shipment
    wrong = f"{(int(otp) + 1) % 1_000_000:06d}"
    resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof(wrong, "otp")))
    assert resp.status == 422
    assert (await resp.json())["type"] == "/problems/verification-failed"
    resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof(otp, "otp")))
    assert resp.status == 201, await resp.text()
    data = await resp.json()
    assert data["event"]["details"]["verification_method"] == "otp"
    assert otp not in await resp.text()
    assert await db.fetchval("SELECT otp_hash FROM shipments WHERE tracking_code = $1", code) is None


async def test_new_round_makes_a_new_otp(client, world, db):
    code = await _out_for_delivery(client, world)
    first = await _otp(db, code)
    await walk(client, world, code, ["delivery_failed", "out_for_delivery"], start=-2)
    second = await _otp(db, code)
    resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof(first, "otp")))
    assert first == second or resp.status == 422
    resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof(second, "otp")))
    assert resp.status == 201


async def test_expired_otp_is_refused(client, world, db):
    code = await _out_for_delivery(client, world)
    otp = await _otp(db, code)
    await db.execute("UPDATE shipments SET otp_expires_at = now() - interval '1 minute' WHERE tracking_code = $1",
                     code)
    resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof(otp, "otp")))
    assert resp.status == 422
    assert await db.fetchval("SELECT verification_failures FROM shipments WHERE tracking_code = $1", code) == 0


async def test_lockout_after_five_wrong_tries(client, world, db):
    code = await _out_for_delivery(client, world)
    for attempt in range(1, 6):
        resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof("9999")))
        assert resp.status == 422, attempt
        assert await db.fetchval("SELECT verification_failures FROM shipments WHERE tracking_code = $1",
                                 code) == attempt
    resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof()))
    assert resp.status == 423
    assert (await resp.json())["type"] == "/problems/locked"
    otp = await _otp(db, code)
    resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof(otp, "otp")))
    assert resp.status == 423
    shipment = await (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))).json()
    assert shipment["status"] == "out_for_delivery"
    assert all(e["event"] != "delivered" for e in shipment["events"])



async def test_staff_unlock_lets_the_right_verification_through(client, world, db):
    code = await _out_for_delivery(client, world)
    for _ in range(5):
        await scan(client, world, scan_body(code, "delivered", proof=delivery_proof("9999")))
    assert (await scan(client, world, scan_body(code, "delivered", proof=delivery_proof()))).status == 423
    reset = f"/api/v1/shipments/{code}/verification/reset"
    assert (await client.post(reset, headers=world.auth("courier1"))).status == 403
    assert (await client.post(reset, headers=world.auth("staff2"))).status == 404
    assert (await client.post(reset, headers=world.auth("staff1"))).status == 200
    assert await db.fetchval("SELECT verification_failures FROM shipments WHERE tracking_code = $1", code) == 0
    resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof()))
    assert resp.status == 201, await resp.text()


async def test_late_delivered_is_not_verified(client, world):
    code = await _out_for_delivery(client, world)
    # after the pickup (-10 min), before going out (-9 min): late, kept, not verified
    resp = await scan(client, world, scan_body(code, "delivered", -9.5, proof=delivery_proof("0000")))
    assert resp.status == 201
    data = await resp.json()
    assert data["event"]["applied"] is False and data["event"]["details"]["verified"] is False
    assert data["status"] == "out_for_delivery"


def _png(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "PNG")
    return out.getvalue()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "JPEG")
    return out.getvalue()


async def test_attachments(client, world, db):
    code = await _out_for_delivery(client, world)
    body = scan_body(code, "delivered", proof=delivery_proof())
    assert (await scan(client, world, body)).status == 201
    url = f"/api/v1/scans/{body['client_event_id']}/attachment"
    headers = {**world.auth("courier1"), "Content-Type": "image/png"}
    resp = await client.post(url + "?kind=signature", data=_png(), headers=headers)
    assert resp.status == 201, await resp.text()
    data = await resp.json()
    assert data["media_type"] == "image/png" and data["kind"] == "signature"
    resp = await client.post(url + "?kind=signature", data=_png(), headers=headers)
    assert resp.status == 200
    resp = await client.post(url + "?kind=signature", data=_png((9, 9)), headers=headers)
    assert resp.status == 409
    resp = await client.post(url + "?kind=photo", data=_jpeg(), headers={**headers, "Content-Type": "image/png"})
    assert resp.status == 201 and (await resp.json())["media_type"] == "image/jpeg"
    assert await db.fetchval("SELECT count(*) FROM scan_attachments") == 2


async def test_attachment_refusals(client, world):
    code = await _out_for_delivery(client, world)
    body = scan_body(code, "delivered", proof=delivery_proof())
    assert (await scan(client, world, body)).status == 201
    url = f"/api/v1/scans/{body['client_event_id']}/attachment?kind=photo"
    headers = {**world.auth("courier1"), "Content-Type": "image/png"}
    gif = b"GIF89a" + b"\x00" * 100
    assert (await client.post(url, data=gif, headers=headers)).status == 422
    fake_png = b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10
    assert (await client.post(url, data=fake_png, headers=headers)).status == 422
    big = _png() + b"\x00" * (2 * 1024 * 1024)
    assert (await client.post(url, data=io.BytesIO(big), headers=headers)).status == 413
    assert (await client.post(url, data=b"", headers=headers)).status == 422
    bad_kind = url.replace("photo", "selfie")
    assert (await client.post(bad_kind, data=_png(), headers=headers)).status == 422
    other = {**world.auth("courier2"), "Content-Type": "image/png"}
    assert (await client.post(url, data=_png(), headers=other)).status == 404
    staff = {**world.auth("staff1"), "Content-Type": "image/png"}
    assert (await client.post(url, data=_png(), headers=staff)).status == 403
    assert (await client.post("/api/v1/scans/nope/attachment", data=_png(), headers=headers)).status == 404
