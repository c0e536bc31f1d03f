"""The VietQR payload read back with zxing-cpp from the tracking page and from the slip PDF (SPEC §12)."""

from __future__ import annotations

import re
from typing import Any

import zxingcpp
from PIL import Image, ImageDraw

from postal.domain import vietqr
from postal.services.payments import set_bank
from tests.e2e.labels_raster import decode, rasterize
from tests.integration.scan_helpers import create_shipment

BIN, ACCOUNT = "970415", "0011001932418"


def _svg_image(html: str, scale: int = 6) -> Image.Image:
    """Draw the page's inline QR SVG (one path of horizontal runs) the way a screen would."""
    svg = re.search(r'<div class="citizen-vietqr"[^>]*>(<svg.*?</svg>)', html, re.S)
    assert svg, "no VietQR on the page"
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg.group(1)).group(1))  # type: ignore[union-attr]
    img = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(img)
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg.group(1)):
        x0, y0 = int(x) * scale, int(y) * scale
        draw.rectangle((x0, y0, x0 + int(w) * scale - 1, y0 + scale - 1), fill=0)
    return img


def _check_fields(payload: str, code: str, amount: int) -> None:
    """Field by field, as a bank app parses it, and the CRC."""
    assert vietqr.crc_ok(payload)
    top = vietqr.parse(payload)
    assert (top["00"], top["01"], top["53"], top["54"], top["58"]) == ("01", "12", "704", str(amount), "VN")
    merchant = vietqr.parse(top["38"])
    assert merchant["00"] == "A000000727" and merchant["02"] == "QRIBFTTA"
    assert vietqr.parse(merchant["01"]) == {"00": BIN, "01": ACCOUNT}
    extra = vietqr.parse(top["62"])
    assert extra["01"] == code and extra["08"].isascii() and 0 < len(extra["08"]) <= 25
    assert re.fullmatch(r"[0-9A-F]{4}", top["63"])


async def _setup(client: Any, world: Any, amount: int = 45000) -> str:
    await set_bank(world.db, "AG-1", BIN, ACCOUNT, "Trung tâm Phục vụ hành chính công Phú Thọ")
    return await create_shipment(client, world, cod_amount=amount)


async def test_tracking_page_shows_the_vietqr_after_the_phone_digits(client, world) -> None:
    code = await _setup(client, world)
    public = await (await client.get(f"/t/{code}")).text()
    assert "citizen-vietqr" not in public and ACCOUNT not in public
    wrong = await (await client.get(f"/t/{code}?phone4=1111")).text()
    assert "citizen-vietqr" not in wrong
    html = await (await client.get(f"/t/{code}?phone4=5678")).text()
    assert "45.000 đ" in html and ACCOUNT in html and "TRUNG TAM PHUC VU HANH CHINH CONG PHU THO" in html
    [symbol] = zxingcpp.read_barcodes(_svg_image(html), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    _check_fields(symbol.text, code, 45000)
    assert 'data-payload="' + symbol.text + '"' in html


async def test_slip_carries_the_vietqr_until_paid(client, world) -> None:
    code = await _setup(client, world, 120000)
    pdf = await (await client.get(f"/api/v1/shipments/{code}/label.pdf?format=a6",
                                  headers=world.auth("staff1"))).read()
    [page] = rasterize(pdf, 200)
    qrs = decode(page)["QRCode"]
    payments = [t for t in qrs if t.startswith("000201")]
    assert len(qrs) == 2 and len(payments) == 1, qrs
    _check_fields(payments[0], code, 120000)
    body = {"tracking_code": code, "amount": 120000, "paid_at": "2026-11-20T10:15:00+07:00", "reference": "FT1"}
    assert (await client.post("/api/v1/payments", json=body, headers=world.auth("integ1"))).status == 201
    pdf = await (await client.get(f"/api/v1/shipments/{code}/label.pdf?format=a6",
                                  headers=world.auth("staff1"))).read()
    [page] = rasterize(pdf, 200)
    assert [t for t in decode(page)["QRCode"] if t.startswith("000201")] == []
    html = await (await client.get(f"/t/{code}")).text()
    assert "Đã thanh toán" in html and "citizen-vietqr" not in html


async def test_courier_is_told_not_to_collect_once_paid(client, world) -> None:
    code = await _setup(client, world)
    login = await client.post("/login", data={"username": "courier1", "password": "correct-horse-battery"},
                              allow_redirects=False)
    assert login.status == 302
    before = await (await client.get(f"/courier/items/{code}")).text()
    assert "45.000&nbsp;₫" in before and "không thu tiền" not in before
    body = {"tracking_code": code, "amount": 45000, "paid_at": "2026-11-20T10:15:00+07:00", "reference": "FT2"}
    assert (await client.post("/api/v1/payments", json=body, headers=world.auth("integ1"))).status == 201
    after = await (await client.get(f"/courier/items/{code}")).text()
    assert "không thu tiền" in after
