"""The courier's pages over HTTP: sign-in, redirects, the list, the action page, the photo decoder."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import qrcode
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from PIL import Image

from postal.domain.signing import qr_payload
from tests.integration.page_checks import CSRF_TEXT, refused
from tests.integration.scan_helpers import backdate, create_shipment, now_iso, vietnam_time, walk

PASSWORD = "correct-horse-battery"


async def _login(client: TestClient, username: str = "courier1", next_url: str = "") -> ClientResponse:
    data = {"username": username, "password": PASSWORD, "next": next_url}
    return await client.post("/login", data=data, allow_redirects=False)


async def _csrf(client: TestClient, path: str = "/courier") -> str:
    html = await (await client.get(path)).text()
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def test_login_redirects_by_role_and_next(client, world):
    resp = await _login(client)
    assert resp.status == 302 and resp.headers["Location"] == "/courier"
    cookie = resp.cookies["postal_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    resp = await _login(client, "staff1")
    assert resp.headers["Location"] == "/staff"
    resp = await _login(client, next_url="/courier/items/RA123456785VN")
    assert resp.headers["Location"] == "/courier/items/RA123456785VN"
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        resp = await _login(client, next_url=evil)
        assert resp.headers["Location"] == "/courier", evil


async def test_wrong_password(client, world):
    resp = await client.post("/login", data={"username": "courier1", "password": "nope"}, allow_redirects=False)
    assert resp.status == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in await resp.text()
    assert "postal_session" not in resp.cookies


async def test_courier_page_requires_a_courier(client, world):
    resp = await client.get("/courier", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] in ("/login?next=/courier", "/login?next=%2Fcourier")
    await _login(client, "staff1")
    resp = await client.get("/courier", allow_redirects=False)
    await refused(resp, "Không có quyền", "Trang này dành cho bưu tá.", back="/staff")


async def test_courier_list_and_item_page(client, world):
    code = await create_shipment(client, world)
    done = await create_shipment(client, world)
    other = await create_shipment(client, world, post_office_code="PO-2")
    await walk(client, world, done, ["picked_up", "out_for_delivery"], start=-5)
    await _login(client)
    html = await (await client.get("/courier")).text()
    assert code in html and done in html and other not in html
    assert 'href="tel:0912345678"' in html
    assert 'name="csrf-token"' in html
    html = await (await client.get(f"/courier/items/{code}")).text()
    assert 'data-event="picked_up"' in html and 'data-event="delivered"' not in html
    html = await (await client.get(f"/courier/items/{done}")).text()
    assert 'data-event="delivered"' in html and 'data-event="delivery_failed"' in html
    assert 'data-event="picked_up"' not in html
    assert "001199012345" not in html
    resp = await client.get(f"/courier/items/{other}")
    assert resp.status == 404
    resp = await client.get("/courier/items/garbage")
    assert resp.status == 404


async def test_session_cookie_scans_need_csrf(client, world):
    code = await create_shipment(client, world)
    await _login(client)
    csrf = await _csrf(client)
    body = {"code": code, "event": "picked_up", "occurred_at": now_iso(-1),
            "client_event_id": "6a3e0d1c-1111-4222-8333-444455556666"}
    assert (await client.post("/api/v1/scans", json=body)).status == 403
    resp = await client.post("/api/v1/scans", json=body, headers={"X-CSRF-Token": csrf})
    assert resp.status == 201


def _qr_png(text: str) -> bytes:
    out = io.BytesIO()
    qrcode.make(text).save(out)
    return out.getvalue()


async def test_decode_photo(client, world):
    code = await create_shipment(client, world)
    await _login(client)
    csrf = await _csrf(client)
    payload = qr_payload("http://postal.test", code, b"test-secret-key-not-for-production")
    from aiohttp import FormData

    form = FormData()
    form.add_field("photo", _qr_png(payload), filename="IMG_0001.HEIC", content_type="image/heic")
    resp = await client.post("/courier/decode", data=form, headers={"X-CSRF-Token": csrf})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["code"] == payload
    form = FormData()
    form.add_field("photo", b"GIF89a" + b"\0" * 64, filename="x.png", content_type="image/png")
    resp = await client.post("/courier/decode", data=form, headers={"X-CSRF-Token": csrf})
    assert resp.status == 422
    blank = io.BytesIO()
    Image.new("RGB", (50, 50), "white").save(blank, "JPEG")
    form = FormData()
    form.add_field("photo", blank.getvalue(), filename="x.jpg", content_type="image/jpeg")
    resp = await client.post("/courier/decode", data=form, headers={"X-CSRF-Token": csrf})
    assert resp.status == 404
    form = FormData()
    form.add_field("photo", _qr_png(payload), filename="x.png", content_type="image/png")
    await refused(await client.post("/courier/decode", data=form), CSRF_TEXT, back="/courier")


async def test_logout(client, world):
    await _login(client)
    csrf = await _csrf(client)
    resp = await client.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/login"
    resp = await client.get("/courier", allow_redirects=False)
    assert resp.status == 302


async def test_item_timeline_reads_in_vietnamese(client, world, db):
    from postal.domain.lifecycle import Event
    from postal.domain.status_texts import event_text
    from tests.integration.payloads import create_body

    created = await client.post("/api/v1/shipments", json=create_body(), headers=world.auth("staff1"))
    code = (await created.json())["tracking_code"]
    await backdate(world, code, timedelta(days=3))
    occurred = vietnam_time(1, 9, 30)  # yesterday 09:30, within the backdated shipment's life
    scan = {"code": code, "event": "picked_up", "occurred_at": occurred.isoformat(),
            "client_event_id": "0b4d4c52-6c43-4c1e-9a53-1f0f8d6f5a10"}
    assert (await client.post("/api/v1/scans", json=scan, headers=world.auth("courier1"))).status == 201
    from postal.services import accounts

    session = await accounts.login(db, "courier1", "correct-horse-battery")
    client.session.cookie_jar.update_cookies({"postal_session": session.cookie})
    html = await (await client.get(f"/courier/items/{code}")).text()
    assert f"09:30 {occurred:%d/%m/%Y}" in html
    assert f"<b>{event_text(Event.picked_up)}</b>" in html and "<b>picked_up</b>" not in html
