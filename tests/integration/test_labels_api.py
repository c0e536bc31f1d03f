"""Printing over HTTP: one slip, batches, the pickup slip, roles, refusals, and the print log."""

from __future__ import annotations

import io

import asyncpg
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from pypdf import PageObject, PdfReader
from reportlab.lib.pagesizes import A4, A6

from postal.domain.signing import qr_payload
from tests.conftest import World
from tests.integration.payloads import create_body
from tests.integration.scan_helpers import create_shipment

NAME = "Nguyễn Thị Hồng Nhung"
DOCS = [{"name": "Tờ khai đề nghị cấp đổi giấy phép lái xe", "kind": "original", "count": 1},
        {"name": "Căn cước công dân", "kind": "copy", "count": 2}]


def pdf_pages(data: bytes) -> list:
    assert data.startswith(b"%PDF-")
    return list(PdfReader(io.BytesIO(data)).pages)


def page_size(page: PageObject) -> tuple[float, float]:
    return float(page.mediabox.width), float(page.mediabox.height)


def assert_size(page: PageObject, size: tuple[float, float]) -> None:
    assert page_size(page) == pytest.approx(size, abs=0.5)


async def print_rows(db: asyncpg.Connection, code: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT l.document, u.username FROM print_log l JOIN shipments s ON s.id = l.shipment_id"
        " JOIN users u ON u.id = l.user_id WHERE s.tracking_code = $1 ORDER BY l.id", code)


async def all_prints(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT count(*) FROM print_log"))


async def test_a6_label_of_a_delivery(client, world, db):
    code = await create_shipment(client, world)
    resp = await client.get(f"/api/v1/shipments/{code}/label.pdf", headers=world.auth("staff1"))
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "application/pdf"
    assert resp.headers["Content-Disposition"] == f'inline; filename="phieu-gui-{code}-a6.pdf"'
    (page,) = pdf_pages(await resp.read())
    assert_size(page, A6)
    text = page.extract_text()
    for expected in (code, NAME, "Phường Vĩnh Yên, Phú Thọ", "Cấp đổi giấy phép lái xe", "Số 12 ngõ 3 đường Hùng Vương",
                     "ĐT: 0912345678", "000.00.15.H62-260315-", "03/12/2026", "Bưu cục Vĩnh Yên",
                     "Số 2 Hai Bà Trưng", "TRẢ KẾT QUẢ"):
        assert expected in text, expected
    assert "001199012345" not in text  # the ID number is never printed
    # delivery: the agency sends, the citizen receives
    assert text.index("Người gửi") < text.index("Số 2 Hai Bà Trưng") < text.index("Người nhận") < text.index(NAME)
    assert await print_rows(db, code) == [("label", "staff1")]


async def test_pickup_label_sends_from_the_citizen(client, world):
    code = await create_shipment(client, world, direction="pickup")
    resp = await client.get(f"/api/v1/shipments/{code}/label.pdf", headers=world.auth("staff1"))
    text = pdf_pages(await resp.read())[0].extract_text()
    assert "GỬI HỒ SƠ" in text
    assert text.index("Người gửi") < text.index(NAME) < text.index("Người nhận") < text.index("Số 2 Hai Bà Trưng")


async def test_a4_label_is_one_sheet(client, world):
    code = await create_shipment(client, world)
    resp = await client.get(f"/api/v1/shipments/{code}/label.pdf?format=a4", headers=world.auth("staff1"))
    assert resp.status == 200
    (page,) = pdf_pages(await resp.read())
    assert_size(page, A4)
    assert code in page.extract_text()


async def test_label_refusals(client, world, db):
    code = await create_shipment(client, world)
    other = await create_shipment(client, world, post_office_code="PO-2")
    url = f"/api/v1/shipments/{code}/label.pdf"
    resp = await client.get(url + "?format=a5", headers=world.auth("staff1"))
    assert resp.status == 422 and resp.content_type == "application/problem+json"
    assert [e["field"] for e in (await resp.json())["errors"]] == ["format"]
    assert (await client.get(url, headers=world.auth("courier1"))).status == 403
    assert (await client.get(url)).status == 401
    assert (await client.get(url, headers=world.auth("staff2"))).status == 404  # another agency's
    assert (await client.get("/api/v1/shipments/RA999999995VN/label.pdf", headers=world.auth("staff1"))).status == 404
    assert (await client.get("/api/v1/shipments/garbage/label.pdf", headers=world.auth("staff1"))).status == 404
    assert await all_prints(db) == 0
    # integrations (the one-stop software) and admins may print; staff of the agency may print any office's
    for who in ("integ1", "admin"):
        assert (await client.get(url, headers=world.auth(who))).status == 200
    assert (await client.get(f"/api/v1/shipments/{other}/label.pdf", headers=world.auth("staff1"))).status == 200
    assert [r["username"] for r in await print_rows(db, code)] == ["integ1", "admin"]


async def test_cancelled_shipment_gets_no_label(client, world, db):
    code = await create_shipment(client, world)
    assert (await client.post(f"/api/v1/shipments/{code}/cancel", headers=world.auth("staff1"))).status == 200
    resp = await client.get(f"/api/v1/shipments/{code}/label.pdf", headers=world.auth("staff1"))
    assert resp.status == 409 and code in (await resp.json())["detail"]
    assert await all_prints(db) == 0


async def test_label_code_is_case_and_space_insensitive(client, world):
    code = await create_shipment(client, world)
    spaced = f"{code[:2].lower()} {code[2:6]} {code[6:]}"
    resp = await client.get(f"/api/v1/shipments/{spaced}/label.pdf", headers=world.auth("staff1"))
    assert resp.status == 200
    assert resp.headers["Content-Disposition"].endswith(f'"phieu-gui-{code}-a6.pdf"')


# ---------------------------------------------------------------------------
# Batches


async def batch(client: TestClient, world: World, codes: list[str], fmt: str = "a4",
                who: str = "staff1") -> ClientResponse:
    return await client.post("/api/v1/labels", json={"tracking_codes": codes, "format": fmt},
                             headers=world.auth(who))


async def test_batch_a4_four_per_sheet(client, world, db):
    codes = [await create_shipment(client, world) for _ in range(5)]
    resp = await batch(client, world, codes)
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "application/pdf"
    pages = pdf_pages(await resp.read())
    assert len(pages) == 2
    for page in pages:
        assert_size(page, A4)
    first, second = (p.extract_text() for p in pages)
    assert all(c in first for c in codes[:4]) and codes[4] not in first
    assert codes[4] in second and NAME in second
    for code in codes:
        assert await print_rows(db, code) == [("labels", "staff1")]


async def test_batch_a6_dedupes_keeping_order(client, world, db):
    a, b = await create_shipment(client, world), await create_shipment(client, world)
    resp = await batch(client, world, [b, a.lower(), f" {b[:5]} {b[5:]} "], fmt="a6")
    assert resp.status == 200, await resp.text()
    pages = pdf_pages(await resp.read())
    assert len(pages) == 2
    assert_size(pages[0], A6)
    assert b in pages[0].extract_text() and a in pages[1].extract_text()
    assert len(await print_rows(db, b)) == 1


async def test_batch_names_every_bad_code_and_renders_nothing(client, world, db):
    good = await create_shipment(client, world)
    cancelled = await create_shipment(client, world)
    await client.post(f"/api/v1/shipments/{cancelled}/cancel", headers=world.auth("staff1"))
    resp = await client.post("/api/v1/shipments", headers=world.auth("staff2"),
                             json=create_body(post_office_code="PO-2"))
    other_agency = (await resp.json())["tracking_code"]
    codes = [good, "RA999999995VN", other_agency, "not-a-code", cancelled]
    resp = await batch(client, world, codes)
    assert resp.status == 404 and resp.content_type == "application/problem+json"  # not found comes first
    problem = await resp.json()
    fields = {e["field"]: e["message"] for e in problem["errors"]}
    assert list(fields) == ["tracking_codes.1", "tracking_codes.2", "tracking_codes.3", "tracking_codes.4"]
    assert "RA999999995VN" in fields["tracking_codes.1"]
    assert other_agency in fields["tracking_codes.2"]
    assert "not-a-code" in fields["tracking_codes.3"]
    assert cancelled in fields["tracking_codes.4"] and "huỷ" in fields["tracking_codes.4"]
    assert "mã bưu gửi thứ 3" in problem["detail"] and "tracking_codes" not in problem["detail"]
    resp = await batch(client, world, [good, "RA\x00123", "\U0001f4ee", "x" * 64])  # never a 500
    assert resp.status == 404
    assert "\x00" not in await resp.text()
    resp = await batch(client, world, [good, cancelled])
    assert resp.status == 409
    assert [e["field"] for e in (await resp.json())["errors"]] == ["tracking_codes.1"]
    assert await all_prints(db) == 0


async def test_batch_limits_and_roles(client, world, db):
    code = await create_shipment(client, world)
    resp = await batch(client, world, [])
    assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == "tracking_codes"
    resp = await batch(client, world, [code] * 501)
    assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == "tracking_codes"
    assert (await batch(client, world, [code], fmt="a3")).status == 422
    assert (await batch(client, world, [code], who="courier1")).status == 403
    resp = await client.post("/api/v1/labels", data=b"{", headers={**world.auth("staff1"),
                                                                     "Content-Type": "application/json"})
    assert resp.status == 400
    assert await all_prints(db) == 0
    assert (await batch(client, world, [code] * 500)).status == 200  # 500 duplicates: one slip
    assert len(await print_rows(db, code)) == 1


async def test_batch_qr_payloads_are_signed_links(client, world, settings):
    """The QR text is checked by decoding in tests/e2e; here: the shipment JSON agrees with signing."""
    code = await create_shipment(client, world)
    shipment = await (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))).json()
    assert shipment["qr_payload"] == qr_payload(settings.public_url, code, settings.key)
    assert shipment["label_url"] == f"/api/v1/shipments/{code}/label.pdf"


# ---------------------------------------------------------------------------
# Pickup slip and print history


async def test_pickup_slip_lists_the_documents(client, world, db):
    code = await create_shipment(client, world, direction="pickup", **{"dossier.documents": DOCS})
    resp = await client.get(f"/api/v1/shipments/{code}/pickup-slip.pdf", headers=world.auth("staff1"))
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Disposition"] == f'inline; filename="phieu-gui-ho-so-{code}.pdf"'
    (page,) = pdf_pages(await resp.read())
    assert_size(page, A4)
    text = page.extract_text()
    for expected in ("PHIẾU GỬI HỒ SƠ", code, NAME, "Tờ khai đề nghị cấp đổi giấy phép lái xe", "Căn cước công dân",
                     "Cấp đổi giấy phép lái xe", "Trung tâm Phục vụ hành chính công Phú Thọ",
                     "Tổng cộng: 2 loại giấy tờ, 3 bản (1 bản chính, 2 bản sao)"):
        assert expected in text, expected
    assert await print_rows(db, code) == [("pickup_slip", "staff1")]


async def test_pickup_slip_refusals(client, world, db):
    delivery = await create_shipment(client, world)
    resp = await client.get(f"/api/v1/shipments/{delivery}/pickup-slip.pdf", headers=world.auth("staff1"))
    assert resp.status == 409 and "pickup" in (await resp.json())["detail"]
    pickup = await create_shipment(client, world, direction="pickup")
    url = f"/api/v1/shipments/{pickup}/pickup-slip.pdf"
    assert (await client.get(url, headers=world.auth("courier1"))).status == 403
    assert (await client.get(url, headers=world.auth("staff2"))).status == 404
    assert await all_prints(db) == 0
    (page,) = pdf_pages(await (await client.get(url, headers=world.auth("staff1"))).read())
    assert "Tổng cộng: 0 loại giấy tờ" in page.extract_text()  # no documents listed: an empty table


async def test_print_history(client, world):
    code = await create_shipment(client, world)
    await client.get(f"/api/v1/shipments/{code}/label.pdf", headers=world.auth("staff1"))
    await batch(client, world, [code])
    resp = await client.get(f"/api/v1/shipments/{code}/prints", headers=world.auth("staff1"))
    assert resp.status == 200
    history = await resp.json()
    assert [(p["document"], p["username"]) for p in history["items"]] == [("label", "staff1"), ("labels", "staff1")]
    assert history["items"][0]["printed_at"].endswith("+07:00")
    assert (await client.get(f"/api/v1/shipments/{code}/prints", headers=world.auth("staff2"))).status == 404
    assert (await client.get(f"/api/v1/shipments/{code}/prints", headers=world.auth("courier1"))).status == 403


async def test_openapi_documents_the_printing_operations(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    paths = doc["paths"]
    assert "application/pdf" in paths["/api/v1/shipments/{code}/label.pdf"]["get"]["responses"]["200"]["content"]
    for path in ("/api/v1/labels", "/api/v1/manifests", "/api/v1/manifests/{manifest_id}.pdf",
                 "/api/v1/manifests/{manifest_id}", "/api/v1/shipments/{code}/pickup-slip.pdf"):
        assert path in paths, path
