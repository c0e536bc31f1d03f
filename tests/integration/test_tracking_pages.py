"""Citizen pages: /, /t/{code}, /q/{code}.{sig} — rendered HTML, proofs, courier redirect, English, privacy."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from postal.app import create_app
from postal.domain.signing import sign_code
from postal.services import accounts
from postal.settings import Settings
from tests.integration import tracking_support as ts

KEY = b"test-secret-key-not-for-production"


@pytest.fixture
async def roomy(aiohttp_client: AiohttpClient, settings: Settings) -> TestClient:
    """An app whose rate limit does not get in the way of tests that look up many times."""
    return await aiohttp_client(await create_app(settings.model_copy(update={"track_rate_limit": 100_000})))


async def page(client: TestClient, path: str, **kwargs: Any) -> tuple[ClientResponse, str]:
    resp = await client.get(path, allow_redirects=False, **kwargs)
    return resp, await resp.text()


async def test_tracking_page_in_vietnamese(client, world):
    code = (await ts.create(client, world))["tracking_code"]
    resp, html = await page(client, f"/t/{code}")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert '<html lang="vi">' in html
    assert 'name="viewport"' in html
    assert "Đã tạo đơn, chờ bưu tá đến lấy" in html
    assert "Bưu tá sẽ nhận tại cơ quan và phát đến địa chỉ của bạn." in html
    assert "03/12/2026" in html
    assert "Căn cước công dân (CCCD)" in html and "giấy ủy quyền" in html
    assert re.search(r'<form method="get" action="/t/' + code + r'"', html)
    assert 'name="phone4"' in html
    assert "<svg" in html
    assert "<script" not in html  # works with JavaScript off: there is none
    assert ts.leaks(html) == []


async def test_right_phone4_shows_the_masked_recipient(client, world):
    code = (await ts.create(client, world))["tracking_code"]
    _, html = await page(client, f"/t/{code}?phone4={ts.PHONE4}")
    assert ts.MASKED in html
    assert "Phường Vĩnh Yên, Phú Thọ" in html
    assert 'name="phone4"' not in html
    assert ts.leaks(html) == []


async def test_wrong_and_malformed_phone4_say_so_and_show_nothing_more(client, world):
    code = (await ts.create(client, world))["tracking_code"]
    resp, html = await page(client, f"/t/{code}?phone4=1111")
    assert resp.status == 200
    assert "không khớp" in html and ts.MASKED not in html
    resp, html = await page(client, f"/t/{code}?phone4=12")
    assert resp.status == 200
    assert "Vui lòng nhập đúng 4 chữ số." in html and ts.MASKED not in html


async def test_english_page(client, world):
    code = (await ts.create(client, world))["tracking_code"]
    _, html = await page(client, f"/t/{code}?lang=en")
    assert '<html lang="en">' in html
    for text in ("Order created, waiting for the postman", "Expected date of the result", "Journey",
                 "authorisation letter", "Last 4 digits of the phone number", "Public postal service"):
        assert text in html
    for vietnamese in ("Hành trình", "Ngày hẹn", "Bưu chính công ích", "Tra cứu", "Xem"):
        assert vietnamese not in html
    assert '<input type="hidden" name="lang" value="en">' in html
    _, html = await page(client, f"/t/{code}?lang=en&phone4={ts.PHONE4}")
    assert ts.MASKED in html and "Recipient" in html


async def test_unknown_code_is_a_404_page(client):
    for path in ("/t/RA000000000VN", "/t/nonsense", "/t/RA000000000VN?lang=en"):
        resp, html = await page(client, path)
        assert resp.status == 404
        assert resp.content_type == "text/html"
    assert "Item not found" in html


async def test_home_and_search_form(client, world):
    resp, html = await page(client, "/")
    assert resp.status == 200 and 'action="/t"' in html and "Tra cứu bưu gửi" in html
    resp, _ = await page(client, "/t?code=ra 0000 0001 4vn")
    assert resp.status == 302 and resp.headers["Location"] == "/t/RA000000014VN"
    resp, _ = await page(client, "/t?code=RA000000014VN&lang=en")
    assert resp.headers["Location"] == "/t/RA000000014VN?lang=en"
    resp, _ = await page(client, "/t")
    assert resp.status == 200


async def test_qr_link_shows_the_masked_view(client, world):
    code = (await ts.create(client, world))["tracking_code"]
    sig = sign_code(code, KEY)
    for path in (f"/q/{code}.{sig}", f"/q/{code.lower()}.{sig.lower()}"):
        resp, html = await page(client, path)
        assert resp.status == 200, path
        assert ts.MASKED in html and "Phường Vĩnh Yên" in html
        assert ts.leaks(html) == []


async def test_forged_truncated_and_altered_qr_links_are_404(roomy, world):
    code = (await ts.create(roomy, world))["tracking_code"]
    other = (await ts.create(roomy, world))["tracking_code"]
    sig = sign_code(code, KEY)
    altered_code = other  # a real code with the sig of another
    bad = [f"{code}.{sig[:-1]}{'B' if sig[-1] == 'A' else 'A'}", f"{code}.{sig[:7]}", f"{code}.{sig}A",
           f"{altered_code}.{sig}", f"{code}.{sign_code(code, b'other-key')}", f"{code}", f"{code}.", ".", "x.y"]
    for payload in bad:
        resp, html = await page(roomy, f"/q/{payload}")
        assert resp.status == 404, payload
        assert "data-status" not in html and ts.MASKED not in html


async def _cookie(db: asyncpg.Connection, username: str) -> dict[str, str]:
    session = await accounts.login(db, username, "correct-horse-battery")
    return {"Cookie": f"postal_session={session.cookie}"}


async def test_qr_link_sends_a_signed_in_courier_to_the_action_page(client, world, db):
    code = (await ts.create(client, world))["tracking_code"]
    sig = sign_code(code, KEY)
    resp, _ = await page(client, f"/q/{code}.{sig.lower()}", headers=await _cookie(db, "courier1"))
    assert resp.status == 302
    assert resp.headers["Location"] == f"/courier/items/{code}"


async def test_qr_link_for_staff_or_a_bad_cookie_is_the_citizen_page(client, world, db):
    code = (await ts.create(client, world))["tracking_code"]
    sig = sign_code(code, KEY)
    for headers in (await _cookie(db, "staff1"), {"Cookie": "postal_session=garbage"}):
        resp, html = await page(client, f"/q/{code}.{sig}", headers=headers)
        assert resp.status == 200
        assert ts.MASKED in html


async def test_forged_qr_link_is_404_for_a_courier_too(client, world, db):
    code = (await ts.create(client, world))["tracking_code"]
    resp, _ = await page(client, f"/q/{code}.AAAAAAAA", headers=await _cookie(db, "courier1"))
    assert resp.status == 404


@pytest.mark.parametrize("direction", ["delivery", "pickup"])
async def test_no_personal_data_on_any_page_in_any_status(roomy, world, db, direction):
    for status, path in ts.PATHS.items():
        code = (await ts.create(roomy, world, direction))["tracking_code"]
        await ts.move(db, code, path, late=status == "returned")
        sig = sign_code(code, KEY)
        for url in (f"/t/{code}", f"/t/{code}?phone4={ts.PHONE4}", f"/t/{code}?phone4=0000", f"/q/{code}.{sig}",
                    f"/t/{code}?lang=en", f"/q/{code}.{sig}?lang=en"):
            resp, html = await page(roomy, url)
            assert resp.status == 200, (url, html[:500])
            assert ts.leaks(html) == [], (status, direction, url)
            assert f'data-status="{status}"' in html


async def test_pickup_page_reads_for_a_dossier(client, world, db):
    code = (await ts.create(client, world, "pickup"))["tracking_code"]
    await ts.move(db, code, ts.PATHS["delivered"])
    _, html = await page(client, f"/t/{code}")
    assert "Đã bàn giao hồ sơ cho cơ quan" in html
    assert "Bưu cục Vĩnh Yên" in html
    assert "08:00 · 01/12/2026" in html
