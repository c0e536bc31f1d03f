"""Refusals on pages are Vietnamese HTML pages with a way back; the API keeps problem+json (SPEC §11)."""

from __future__ import annotations

import io
import re

import aiohttp
from aiohttp.test_utils import TestClient

from tests.integration.page_checks import CSRF_TEXT, HOME_TEXT
from tests.integration.page_checks import back_link as _back
from tests.integration.page_checks import error_page as _page
from tests.integration.scan_helpers import create_shipment

PASSWORD = "correct-horse-battery"


async def _sign_in(client: TestClient, username: str) -> str:
    """Sign in through the form and return the CSRF token of the user's home page."""
    resp = await client.post("/login", data={"username": username, "password": PASSWORD}, allow_redirects=False)
    assert resp.status == 302, await resp.text()
    html = await (await client.get(resp.headers["Location"])).text()
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


async def test_courier_opening_the_staff_console_sees_a_page_back_to_the_courier_page(client, world):
    await _sign_in(client, "courier1")
    html = await _page(await client.get("/staff", allow_redirects=False), 403)
    assert "Không có quyền" in html and "Trang này dành cho cán bộ một cửa." in html
    assert _back(html) == ("/courier", "Về trang chính của bạn")
    html = await _page(await client.get("/staff/wards?province=25"), 403)
    assert _back(html)[0] == "/courier"


async def test_staff_opening_the_courier_page_sees_a_page_back_to_the_console(client, world):
    await _sign_in(client, "staff1")
    html = await _page(await client.get("/courier", allow_redirects=False), 403)
    assert "Trang này dành cho bưu tá." in html
    assert _back(html) == ("/staff", "Về trang chính của bạn")


async def test_unknown_and_other_agency_shipments_are_the_same_404_page(client, world):
    theirs = await create_shipment(client, world)  # made by staff1 of AG-1
    await _sign_in(client, "staff2")
    unknown = await _page(await client.get("/staff/shipments/RA999999995VN"), 404)
    other = await _page(await client.get(f"/staff/shipments/{theirs}"), 404)
    for html in (unknown, other):
        assert "Không tìm thấy" in html and "Không tìm thấy bưu gửi" in html
        assert _back(html) == ("/staff", "Về trang chính của bạn")
    # Another agency's shipment cannot be told from a code that does not exist.
    assert other.replace(theirs, "CODE") == unknown.replace("RA999999995VN", "CODE")
    resp = await client.post(f"/staff/shipments/{theirs}/cancel", data={"csrf_token": "x"})
    html = await _page(resp, 403)  # wrong CSRF token is checked before anything is looked up
    assert CSRF_TEXT in html and theirs not in html and _back(html) == ("/staff", HOME_TEXT)


async def test_unknown_page_path_links_to_sign_in_or_home(client, world):
    html = await _page(await client.get("/khong-co-trang-nay"), 404)
    assert "Không tìm thấy" in html and "Đường dẫn không tồn tại." in html
    assert _back(html) == ("/login", "Đăng nhập")
    await _sign_in(client, "courier1")
    html = await _page(await client.get("/khong-co-trang-nay"), 404)
    assert _back(html) == ("/courier", "Về trang chính của bạn")


async def test_wrong_method_on_a_page_is_a_405_page_with_allow(client, world):
    resp = await client.get("/logout")
    html = await _page(resp, 405)
    assert "Phương thức không được hỗ trợ" in html and "POST" in resp.headers["Allow"]
    assert _back(html) == ("/login", "Đăng nhập")


async def test_missing_csrf_token_on_a_staff_form_is_a_403_page(client, world):
    await _sign_in(client, "staff1")
    html = await _page(await client.post("/staff/new", data={"direction": "delivery"}), 403)
    assert CSRF_TEXT in html
    assert _back(html) == ("/staff", HOME_TEXT)


async def test_api_paths_keep_problem_json(client, world):
    resp = await client.get("/api/v1/nothing-here", headers={"Accept": "text/html"})
    assert resp.status == 404 and resp.content_type == "application/problem+json"
    assert (await resp.json())["title"] == "Không tìm thấy"
    resp = await client.delete("/api/v1/shipments")
    assert resp.status == 405 and resp.content_type == "application/problem+json"
    assert "GET" in resp.headers["Allow"]
    resp = await client.get("/api/v1/shipments/RA999999995VN", headers=world.auth("staff1"))
    assert resp.status == 404 and resp.content_type == "application/problem+json"
    resp = await client.get("/api/v1/shipments", headers=world.auth("courier1"))
    assert resp.status == 403 and (await resp.json())["type"] == "/problems/forbidden"


async def test_a_script_asking_for_json_on_a_page_path_gets_problem_json(client, world):
    csrf = await _sign_in(client, "staff1")
    form = aiohttp.FormData()
    form.add_field("photo", io.BytesIO(b"x"), filename="photo.jpg", content_type="image/jpeg")
    resp = await client.post("/courier/decode", data=form,
                             headers={"Accept": "application/json", "X-CSRF-Token": csrf})
    assert resp.status == 403 and resp.content_type == "application/problem+json"
    assert (await resp.json())["detail"] == "Trang này dành cho bưu tá."
