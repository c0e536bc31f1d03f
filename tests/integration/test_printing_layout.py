"""What printed documents say, read back over HTTP with pypdf (issue 8 items 6, 16, 18).

Long dossier codes stay whole on one line on every PDF; the manifest names the citizen honestly
with the direction, COD and a total; the agency's and citizen's ward is printed once.
"""

from __future__ import annotations

import io
from typing import Any

from aiohttp.test_utils import TestClient
from pypdf import PdfReader

from tests.conftest import World
from tests.integration.scan_helpers import create_shipment

LONG = "000.00.15.H62-261120-520621"  # 27 characters, wrapped mid-number before
DOCS = [{"name": "Tờ khai", "kind": "original", "count": 1}]


def lines_of(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [ln for page in PdfReader(io.BytesIO(data)).pages for ln in page.extract_text().splitlines()]


def assert_code_whole(lines: list[str], code: str) -> None:
    assert any(code in ln for ln in lines), code
    assert not [ln for ln in lines if "520621" in ln and code not in ln]


async def _pdf(client: TestClient, world: World, method: str, url: str, **kwargs: Any) -> bytes:
    resp = await client.request(method, url, headers=world.auth("staff1"), **kwargs)
    assert resp.status in (200, 201), await resp.text()
    return await resp.read()


async def test_long_dossier_code_is_whole_on_every_pdf(client, world):
    pickup = await create_shipment(client, world, direction="pickup",
                                   **{"dossier.code": LONG, "dossier.documents": DOCS})
    delivery = await create_shipment(client, world, **{"dossier.code": LONG})
    for fmt in ("a6", "a4"):
        one = await _pdf(client, world, "GET", f"/api/v1/shipments/{delivery}/label.pdf?format={fmt}")
        assert_code_whole(lines_of(one), LONG)
        batch = await _pdf(client, world, "POST", "/api/v1/labels",
                           json={"tracking_codes": [pickup, delivery], "format": fmt})
        assert_code_whole(lines_of(batch), LONG)
    assert_code_whole(lines_of(await _pdf(client, world, "GET", f"/api/v1/shipments/{pickup}/pickup-slip.pdf")), LONG)
    body = {"tracking_codes": [pickup, delivery], "post_office_code": "PO-1"}
    m = await (await client.post("/api/v1/manifests", json=body, headers=world.auth("staff1"))).json()
    assert_code_whole(lines_of(await _pdf(client, world, "GET", m["pdf_url"])), LONG)


async def test_manifest_has_direction_citizen_cod_and_total(client, world):
    pickup = await create_shipment(client, world, direction="pickup", cod_amount=150_000,
                                   **{"citizen.name": "Trần Văn Gửi"})
    delivery = await create_shipment(client, world, cod_amount=1_250_000, **{"citizen.name": "Lê Thị Nhận"})
    free = await create_shipment(client, world, **{"citizen.name": "Phạm Ngọc Ỷ"})
    resp = await client.post("/api/v1/manifests", json={"tracking_codes": [pickup, delivery, free],
                                                        "post_office_code": "PO-1"}, headers=world.auth("staff1"))
    assert resp.status == 201, await resp.text()
    lines = lines_of(await _pdf(client, world, "GET", (await resp.json())["pdf_url"]))
    text = "\n".join(lines)
    header = next(ln for ln in lines if "Mã bưu gửi" in ln)
    for column in ("STT", "Mã hồ sơ", "Chiều", "Người dân", "Phường/xã", "Thu hộ (COD)"):
        assert column in text, column
    assert "Người nhận" not in header and "Người nhận" not in text  # the pickup citizen is the sender
    assert any(pickup in ln and "Thu gom" in ln for ln in lines)
    assert any(delivery in ln and "Phát trả" in ln for ln in lines)
    for expected in ("Trần Văn Gửi", "Lê Thị Nhận", "150.000 ₫", "1.250.000 ₫", "0 ₫", "Cộng: 3 bưu gửi",
                     "1.400.000 ₫", "Tổng số: 3 bưu gửi"):
        assert expected in text, expected


async def test_ward_already_in_the_street_line_is_printed_once(client, world, db):
    await db.execute("UPDATE agencies SET address_line = $1 WHERE code = 'AG-1'",
                     "Số 2 đường Hai Bà Trưng, Phường Vĩnh Yên")
    line = "Số 12 ngõ 3 đường Hùng Vương, phường Vĩnh Yên"
    code = await create_shipment(client, world, **{"citizen.address.line": line})
    for url in (f"/api/v1/shipments/{code}/label.pdf", f"/api/v1/shipments/{code}/label.pdf?format=a4"):
        text = "\n".join(lines_of(await _pdf(client, world, "GET", url)))
        assert text.count("Vĩnh Yên") == text.count("Bưu cục Vĩnh Yên") + 2, text  # agency once, citizen once
        assert "Số 2 đường Hai Bà Trưng, Phường Vĩnh Yên" in text and "Phú Thọ" in text
    untouched = await create_shipment(client, world)  # a street line without the ward gets it added
    text = "\n".join(lines_of(await _pdf(client, world, "GET", f"/api/v1/shipments/{untouched}/label.pdf")))
    assert "Phường Vĩnh Yên, Phú Thọ" in text
