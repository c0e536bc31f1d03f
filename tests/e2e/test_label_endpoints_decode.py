"""Slips served by the API, rendered to pixels with poppler and decoded with zxing-cpp (SPEC §10):
the QR code holds exactly the shipment's signed link, the Code 128 exactly its tracking code."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from reportlab.lib.pagesizes import A4, A6

from labels.slips import a4_origin
from tests.conftest import World
from tests.integration.scan_helpers import create_shipment

from .labels_raster import crop_pt, decode, rasterize

DPIS = [200, 150]


async def shipment(client: TestClient, world: World, **changes: Any) -> dict[str, Any]:
    code = await create_shipment(client, world, **changes)
    return await (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))).json()


def assert_decodes(found: dict[str, list[str]], s: dict) -> None:
    assert found["QRCode"] == [s["qr_payload"]]
    assert found["Code128"] == [s["tracking_code"]]


@pytest.mark.parametrize("dpi", DPIS)
async def test_single_label_decodes(client, world, dpi):
    s = await shipment(client, world)
    resp = await client.get(s["label_url"], headers=world.auth("staff1"))
    assert resp.status == 200
    (page,) = rasterize(await resp.read(), dpi)
    assert_decodes(decode(page), s)


@pytest.mark.parametrize("dpi", DPIS)
async def test_a4_label_decodes_in_the_first_quarter(client, world, dpi):
    s = await shipment(client, world, direction="pickup")
    resp = await client.get(s["label_url"] + "?format=a4", headers=world.auth("staff1"))
    (page,) = rasterize(await resp.read(), dpi)
    assert_decodes(decode(crop_pt(page, dpi, A4[1], *a4_origin(0), *A6)), s)
    assert_decodes(decode(page), s)


@pytest.mark.parametrize("dpi", DPIS)
async def test_four_slip_a4_batch_decodes(client, world, dpi):
    shipments = [await shipment(client, world, direction=("pickup", "delivery")[i % 2]) for i in range(4)]
    resp = await client.post("/api/v1/labels", headers=world.auth("staff1"),
                             json={"tracking_codes": [s["tracking_code"] for s in shipments], "format": "a4"})
    assert resp.status == 200, await resp.text()
    (page,) = rasterize(await resp.read(), dpi)
    for i, s in enumerate(shipments):
        assert_decodes(decode(crop_pt(page, dpi, A4[1], *a4_origin(i), *A6)), s)
    whole = decode(page)
    assert sorted(whole["QRCode"]) == sorted(s["qr_payload"] for s in shipments)
    assert sorted(whole["Code128"]) == sorted(s["tracking_code"] for s in shipments)


async def test_pickup_slip_decodes(client, world):
    s = await shipment(client, world, direction="pickup")
    resp = await client.get(f"/api/v1/shipments/{s['tracking_code']}/pickup-slip.pdf", headers=world.auth("staff1"))
    (page,) = rasterize(await resp.read(), 150)
    assert_decodes(decode(page), s)


@pytest.mark.parametrize("dpi", DPIS)
async def test_thermal_100x150_label_decodes(client, world, dpi):
    s = await shipment(client, world)
    resp = await client.get(s["label_url"] + "?format=100x150", headers=world.auth("staff1"))
    assert resp.status == 200
    (page,) = rasterize(await resp.read(), dpi)
    assert abs(page.width - round(100 / 25.4 * dpi)) <= 1 and abs(page.height - round(150 / 25.4 * dpi)) <= 1
    assert_decodes(decode(page), s)
    batch = [s, await shipment(client, world, direction="pickup")]
    resp = await client.post("/api/v1/labels", headers=world.auth("staff1"),
                             json={"tracking_codes": [x["tracking_code"] for x in batch], "format": "100x150"})
    pages = rasterize(await resp.read(), dpi)
    assert len(pages) == 2
    for p, x in zip(pages, batch, strict=True):
        assert_decodes(decode(p), x)
