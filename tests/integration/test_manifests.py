"""Handover manifests over HTTP: create, read, PDF, the one-manifest rule under a race, immutability."""

from __future__ import annotations

import asyncio
import io
import re
from urllib.parse import quote

import asyncpg
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4

from tests.conftest import World
from tests.integration.payloads import create_body
from tests.integration.scan_helpers import create_shipment, walk


async def create_manifest(client: TestClient, world: World, codes: list[str], office: str = "PO-1",
                          who: str = "staff1") -> ClientResponse:
    return await client.post("/api/v1/manifests", json={"tracking_codes": codes, "post_office_code": office},
                             headers=world.auth(who))


async def test_create_read_and_print(client, world, db):
    codes = [await create_shipment(client, world) for _ in range(3)]
    pickup = await create_shipment(client, world, direction="pickup")
    resp = await create_manifest(client, world, [*codes, pickup.lower()])
    assert resp.status == 201, await resp.text()
    m = await resp.json()
    assert re.fullmatch(r"BK-\d{8}-0001", m["id"])
    assert resp.headers["Location"] == f"/api/v1/manifests/{m['id']}"
    assert m["items"] == [*codes, pickup] and m["count"] == 4
    assert (m["agency_code"], m["post_office_code"], m["created_by"]) == ("AG-1", "PO-1", "staff1")
    assert m["pdf_url"] == f"/api/v1/manifests/{m['id']}.pdf"
    assert m["created_at"].endswith("+07:00")

    for who in ("staff1", "integ1", "courier1", "admin"):
        resp = await client.get(f"/api/v1/manifests/{m['id']}", headers=world.auth(who))
        assert resp.status == 200, who
        assert await resp.json() == m

    resp = await client.get(m["pdf_url"], headers=world.auth("courier1"))
    assert resp.status == 200 and resp.content_type == "application/pdf"
    assert resp.headers["Content-Disposition"] == f'inline; filename="bang-ke-{m["id"]}.pdf"'
    (page,) = PdfReader(io.BytesIO(await resp.read())).pages
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4[::-1], abs=0.5)  # landscape
    text = page.extract_text()
    for expected in ("BẢNG KÊ GIAO NHẬN", m["id"], "Trung tâm Phục vụ hành chính công Phú Thọ", "Bưu cục Vĩnh Yên",
                     "Nguyễn Thị Hồng Nhung", "Phường Vĩnh Yên", "Tổng số: 4 bưu gửi", *codes, pickup):
        assert expected in text, expected
    logged = await db.fetch("SELECT document, count(*) FROM print_log GROUP BY document")
    assert [tuple(r) for r in logged] == [("manifest", 4)]

    second = await create_manifest(client, world, [await create_shipment(client, world)])
    assert (await second.json())["id"].endswith("-0002")


async def test_visibility(client, world):
    m = await (await create_manifest(client, world, [await create_shipment(client, world)])).json()
    for who in ("staff2", "courier2"):
        assert (await client.get(f"/api/v1/manifests/{m['id']}", headers=world.auth(who))).status == 404
        assert (await client.get(f"/api/v1/manifests/{m['id']}.pdf", headers=world.auth(who))).status == 404
    assert (await client.get("/api/v1/manifests/BK-20260101-0001", headers=world.auth("staff1"))).status == 404
    assert (await client.get(f"/api/v1/manifests/{m['id']}")).status == 401


async def test_items_must_be_the_agencys_created_shipments_of_that_office(client, world, db):
    good = await create_shipment(client, world)
    other_office = await create_shipment(client, world, post_office_code="PO-2")
    taken = await create_shipment(client, world)
    await walk(client, world, taken, ["picked_up"])
    foreign = (await (await client.post("/api/v1/shipments", json=create_body(post_office_code="PO-1"),
                                        headers=world.auth("staff2"))).json())["tracking_code"]
    resp = await create_manifest(client, world, [good, other_office, "RA999999995VN", taken, foreign, "junk"])
    assert resp.status == 404, await resp.text()  # the first of 404, 422, 409; every refusal named
    fields = {e["field"]: e["message"] for e in (await resp.json())["errors"]}
    assert list(fields) == [f"tracking_codes.{i}" for i in range(1, 6)]
    assert "PO-2" in fields["tracking_codes.1"] and "RA999999995VN" in fields["tracking_codes.2"]
    assert taken in fields["tracking_codes.3"] and "created" in fields["tracking_codes.3"]
    assert foreign in fields["tracking_codes.4"] and "junk" in fields["tracking_codes.5"]
    resp = await create_manifest(client, world, [good, other_office, taken])
    assert resp.status == 422
    assert [e["field"] for e in (await resp.json())["errors"]] == ["tracking_codes.1", "tracking_codes.2"]
    resp = await create_manifest(client, world, [good, taken])
    assert resp.status == 409
    assert [e["field"] for e in (await resp.json())["errors"]] == ["tracking_codes.1"]
    assert await db.fetchval("SELECT count(*) FROM manifests") == 0
    for office in ("NOPE", "PO-1\x00", "\U0001f4ee"):
        resp = await create_manifest(client, world, [good], office=office)
        assert resp.status == 404, office
        assert (await resp.json())["errors"] == [{"field": "post_office_code",
                                                  "message": f"Không có bưu cục mã {office.strip(chr(0))}."}]
    for bad in ("BK-1", "BK-20261126-0001\x00", "x" * 300):
        assert (await client.get(f"/api/v1/manifests/{quote(bad)}", headers=world.auth("staff1"))).status == 404


async def test_limits_and_roles(client, world):
    code = await create_shipment(client, world)
    assert (await create_manifest(client, world, [])).status == 422
    assert (await create_manifest(client, world, [code] * 501)).status == 422
    assert (await create_manifest(client, world, [code], who="courier1")).status == 403
    assert (await create_manifest(client, world, [code], who="admin")).status == 403  # no agency to speak for
    resp = await create_manifest(client, world, [code, code.lower()], who="integ1")
    assert resp.status == 201 and (await resp.json())["items"] == [code]


async def test_a_shipment_is_on_one_manifest_only(client, world):
    a, b = await create_shipment(client, world), await create_shipment(client, world)
    first = await (await create_manifest(client, world, [a])).json()
    resp = await create_manifest(client, world, [b, a])
    assert resp.status == 409
    problem = await resp.json()
    message = f"Bưu gửi {a} đã có trong bảng kê {first['id']}."
    assert problem["errors"] == [{"field": "tracking_codes.1", "message": message}]
    assert (await create_manifest(client, world, [b])).status == 201


async def test_concurrent_manifests_take_a_shipment_once(client, world, db):
    shared = await create_shipment(client, world)
    mine = [await create_shipment(client, world) for _ in range(4)]
    responses = await asyncio.gather(*(create_manifest(client, world, [mine[i], shared]) for i in range(4)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [201, 409, 409, 409], statuses
    assert await db.fetchval("SELECT count(*) FROM manifest_items i JOIN shipments s ON s.id = i.shipment_id"
                             " WHERE s.tracking_code = $1", shared) == 1
    assert await db.fetchval("SELECT count(*) FROM manifests") == 1


async def test_concurrent_manifests_of_distinct_shipments_get_distinct_ids(client, world):
    codes = [await create_shipment(client, world) for _ in range(5)]
    responses = await asyncio.gather(*(create_manifest(client, world, [c]) for c in codes))
    assert [r.status for r in responses] == [201] * 5
    ids = sorted([(await r.json())["id"] for r in responses])
    assert [i[-4:] for i in ids] == ["0001", "0002", "0003", "0004", "0005"]


async def test_manifests_are_immutable(client, world, db):
    m = await (await create_manifest(client, world, [await create_shipment(client, world)])).json()
    for sql in ("UPDATE manifests SET post_office_code = 'PO-2'", "DELETE FROM manifests",
                "UPDATE manifest_items SET position = 9", "DELETE FROM manifest_items"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await db.execute(sql)
    resp = await client.get(f"/api/v1/manifests/{m['id']}", headers=world.auth("staff1"))
    assert await resp.json() == m
    for method in ("PUT", "PATCH", "DELETE"):
        resp = await client.request(method, f"/api/v1/manifests/{m['id']}", headers=world.auth("staff1"))
        assert resp.status == 405, method
