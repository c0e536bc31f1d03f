"""The staff console over HTTP: sign-in, list and filters, the create form, detail, cancel, print, manifest."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from pypdf import PdfReader

from tests.integration.page_checks import CSRF_TEXT, refused, search
from tests.integration.scan_helpers import create_shipment, walk

PASSWORD = "correct-horse-battery"

FORM = {
    "direction": "delivery",
    "dossier.code": "000.00.15.H62-260315-0077",
    "dossier.procedure_code": "1.004227",
    "dossier.procedure_name": "Cấp đổi giấy phép lái xe",
    "dossier.appointment_date": "2026-12-03",
    "citizen.name": "Nguyễn Thị Hồng Nhung",
    "citizen.phone": "0912 345 678",
    "citizen.id_number": "001199012345",
    "citizen.address.line": "Số 12 ngõ 3 đường Hùng Vương",
    "citizen.address.province_code": "25",
    "citizen.address.ward_code": "08707",
    "ward_code_manual": "",
    "post_office_code": "PO-1",
    "cod_amount": "0",
    "fee_payer": "citizen",
    "fee_exemption": "none",
    "note": "Gọi trước khi giao",
}


async def login(client: TestClient, username: str = "staff1") -> str:
    """Sign in and return the session's CSRF token (from the page's meta tag)."""
    resp = await client.post("/login", data={"username": username, "password": PASSWORD}, allow_redirects=False)
    assert resp.status == 302, await resp.text()
    html = await (await client.get("/staff")).text()
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def post_form(client: TestClient, path: str, data: dict[str, str], csrf: str, **kw: Any) -> ClientResponse:
    return await client.post(path, data={**data, "csrf_token": csrf}, allow_redirects=False, **kw)


async def test_staff_console_needs_staff(client, world):
    resp = await client.get("/staff", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] in ("/login?next=/staff", "/login?next=%2Fstaff")
    resp = await client.get("/staff/new", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"].startswith("/login?next=")
    await client.post("/login", data={"username": "courier1", "password": PASSWORD})
    for path in ("/staff", "/staff/wards?province=25"):
        await refused(await client.get(path, allow_redirects=False), "Không có quyền",
                      "Trang này dành cho cán bộ một cửa.", back="/courier")


async def test_list_filters_and_overdue(client, world):
    late = await create_shipment(client, world, **{"dossier.appointment_date": "2020-01-02"})
    fresh = await create_shipment(client, world, direction="pickup")
    gone = await create_shipment(client, world)
    await client.post(f"/api/v1/shipments/{gone}/cancel", headers=world.auth("staff1"))
    await login(client)
    html = await (await client.get("/staff")).text()
    assert all(c in html for c in (late, fresh, gone))
    assert re.search(rf'class="ship is-overdue" data-code="{late}"', html)
    assert re.search(rf'class="ship" data-code="{fresh}"', html)
    assert 'name="codes"' in html and 'formaction="/staff/manifests"' in html
    html = await (await client.get("/staff?status=cancelled")).text()
    assert gone in html and late not in html
    html = await (await client.get("/staff?overdue=true")).text()
    assert late in html and fresh not in html
    html = await (await client.get("/staff?direction=pickup")).text()
    assert fresh in html and late not in html
    html = await (await client.get(f"/staff?q={late.lower()}")).text()
    assert late in html and fresh not in html
    assert (await client.get("/staff?status=nope")).status == 400


async def test_pagination(client, world):
    codes = [await create_shipment(client, world) for _ in range(52)]
    await login(client)
    html = await (await client.get("/staff?direction=delivery")).text()
    assert codes[-1] in html and codes[1] not in html
    next_url = search(r'href="([^"]+)" id="next-page"', html).group(1).replace("&amp;", "&")
    assert "direction=delivery" in next_url
    html = await (await client.get(next_url)).text()
    assert codes[0] in html and codes[1] in html and codes[-1] not in html
    assert 'id="next-page"' not in html and "Trang đầu" in html


async def test_create_through_the_form(client, world, db):
    csrf = await login(client)
    html = await (await client.get("/staff/new")).text()
    assert '<option value="25" selected>Phú Thọ</option>' in html
    assert '<option value="08707"' in html and "Phường Vĩnh Yên" in html
    assert 'name="csrf_token"' in html and 'name="ward_code_manual"' in html
    key = search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)
    resp = await post_form(client, "/staff/new", {**FORM, "idempotency_key": key}, csrf)
    assert resp.status == 303, await resp.text()
    code = search(r"^/staff/shipments/(RA\d{9}VN)\?created=1$", resp.headers["Location"]).group(1)
    row = await db.fetchrow("SELECT * FROM shipments WHERE tracking_code = $1", code)
    assert (row["citizen_phone"], row["ward_code"], row["post_office_code"]) == ("0912345678", "08707", "PO-1")
    assert row["citizen_name"] == "Nguyễn Thị Hồng Nhung"
    again = await post_form(client, "/staff/new", {**FORM, "idempotency_key": key}, csrf)  # a double submit
    assert again.headers["Location"] == resp.headers["Location"]
    assert await db.fetchval("SELECT count(*) FROM shipments") == 1
    html = await (await client.get(resp.headers["Location"])).text()
    assert 'id="created-ok"' in html and code in html and "Cấp đổi giấy phép lái xe" in html


async def test_create_pickup_with_documents_and_manual_ward(client, world, db):
    csrf = await login(client)
    data = {**FORM, "direction": "pickup", "dossier.appointment_date": "", "citizen.address.ward_code": "",
            "ward_code_manual": "8707", "doc.0.name": "Tờ khai", "doc.0.kind": "original", "doc.0.count": "1",
            "doc.1.name": "", "doc.2.name": "Căn cước công dân", "doc.2.kind": "copy", "doc.2.count": "2"}
    resp = await post_form(client, "/staff/new", data, csrf)
    assert resp.status == 303, await resp.text()
    row = await db.fetchrow("SELECT direction, ward_code, documents FROM shipments")
    assert row["direction"] == "pickup" and row["ward_code"] == "08707"
    assert json.loads(row["documents"]) == [{"name": "Tờ khai", "kind": "original", "count": 1},
                                            {"name": "Căn cước công dân", "kind": "copy", "count": 2}]


async def test_form_errors_are_shown_next_to_fields(client, world, db):
    csrf = await login(client)
    data = {**FORM, "citizen.name": "", "citizen.phone": "12345", "citizen.address.ward_code": "00004",
            "dossier.appointment_date": "", "cod_amount": "abc"}
    resp = await post_form(client, "/staff/new", data, csrf)
    assert resp.status == 422
    html = await resp.text()
    assert 'id="err-cod_amount"' in html and "Phải là số nguyên." in html  # shape errors first
    data["cod_amount"] = "0"
    resp = await post_form(client, "/staff/new", data, csrf)
    assert resp.status == 422
    html = await resp.text()
    for field in ("citizen-name", "citizen-phone", "citizen-address-ward_code", "dossier-appointment_date"):
        assert f'id="err-{field}"' in html, field
    assert "Trả kết quả cần ngày hẹn trả" in html
    assert 'value="0912 345 678"' not in html and 'value="12345"' in html  # what was typed is kept
    assert await db.fetchval("SELECT count(*) FROM shipments") == 0


async def test_form_posts_need_the_csrf_token(client, world, db):
    csrf = await login(client)
    for token in (None, "wrong"):
        data = dict(FORM) if token is None else {**FORM, "csrf_token": token}
        resp = await client.post("/staff/new", data=data, allow_redirects=False)
        await refused(resp, CSRF_TEXT, back="/staff")
    assert await db.fetchval("SELECT count(*) FROM shipments") == 0
    code = await create_shipment(client, world)
    for path, form in (("/staff/print", {"codes": code}), (f"/staff/shipments/{code}/cancel", {}),
                       ("/staff/manifests", {"codes": code, "post_office_code": "PO-1"})):
        await refused(await client.post(path, data=form, allow_redirects=False), CSRF_TEXT, back="/staff")
    assert await db.fetchval("SELECT count(*) FROM print_log") == 0
    assert csrf


async def test_wards_json(client, world):
    await login(client)
    resp = await client.get("/staff/wards?province=25")
    assert resp.status == 200
    wards = (await resp.json())["wards"]
    assert {"code": "08707", "name": "Phường Vĩnh Yên"} in wards and len(wards) > 100
    assert (await client.get("/staff/wards?province=99")).status == 422


async def test_detail_print_history_and_cancel(client, world):
    code = await create_shipment(client, world, direction="pickup")
    taken = await create_shipment(client, world)
    await walk(client, world, taken, ["picked_up"])
    csrf = await login(client)
    html = await (await client.get(f"/staff/shipments/{code}")).text()
    assert 'id="print-pickup"' in html and 'id="cancel-form"' in html and "Chưa in lần nào" in html
    resp = await client.get(f"/api/v1/shipments/{code}/label.pdf")  # the page's link: the session cookie is enough
    assert resp.status == 200 and resp.content_type == "application/pdf"
    html = await (await client.get(f"/staff/shipments/{code}")).text()
    assert "Đã in 1 lần" in html and "staff1" in html
    resp = await post_form(client, f"/staff/shipments/{code}/cancel", {}, csrf)  # not confirmed: nothing done
    assert resp.status == 422 and "ô xác nhận" in await resp.text()
    resp = await post_form(client, f"/staff/shipments/{code}/cancel", {"confirm": "yes"}, csrf)
    assert resp.status == 303 and resp.headers["Location"].endswith("?done=cancelled")
    html = await (await client.get(resp.headers["Location"])).text()
    assert "Đã huỷ" in html and 'id="cancel-form"' not in html and "Huỷ đơn" in html
    html = await (await client.get(f"/staff/shipments/{taken}")).text()
    assert "Bưu tá nhận bưu gửi" in html and 'id="cancel-form"' not in html
    resp = await post_form(client, f"/staff/shipments/{taken}/cancel", {"confirm": "yes"}, csrf)
    assert resp.status == 409 and 'id="action-error"' in await resp.text()
    assert (await client.get("/staff/shipments/RA999999995VN")).status == 404


async def test_print_many_downloads_one_pdf(client, world, db):
    codes = [await create_shipment(client, world) for _ in range(5)]
    csrf = await login(client)
    resp = await client.post("/staff/print", data=[("csrf_token", csrf), ("format", "a4"),
                                                   *(("codes", c) for c in codes)])
    assert resp.status == 200 and resp.content_type == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="phieu-gui-')
    pages = PdfReader(io.BytesIO(await resp.read())).pages
    assert len(pages) == 2 and codes[4] in pages[1].extract_text()
    assert await db.fetchval("SELECT count(*) FROM print_log WHERE document = 'labels'") == 5
    resp = await post_form(client, "/staff/print", {"format": "a6"}, csrf)
    assert resp.status == 422 and "Chưa chọn bưu gửi nào" in await resp.text()
    resp = await post_form(client, "/staff/print", {"format": "a6", "codes": "RA999999995VN"}, csrf)
    assert resp.status == 404 and "RA999999995VN" in await resp.text()


async def test_manifest_from_the_list(client, world):
    codes = [await create_shipment(client, world) for _ in range(2)]
    csrf = await login(client)
    data = [("csrf_token", csrf), ("post_office_code", "PO-1"), *(("codes", c) for c in codes)]
    resp = await client.post("/staff/manifests", data=data, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    manifest_id = search(r"^/staff/manifests/(BK-\d{8}-\d{4})", resp.headers["Location"]).group(1)
    html = await (await client.get(resp.headers["Location"])).text()
    assert all(c in html for c in codes) and f"/api/v1/manifests/{manifest_id}.pdf" in html
    resp = await client.post("/staff/manifests", data=data, allow_redirects=False)
    assert resp.status == 409
    assert manifest_id in await resp.text()


async def test_admin_sees_all_but_creates_nothing(client, world):
    mine = await create_shipment(client, world)
    await login(client, "admin")
    html = await (await client.get("/staff")).text()
    assert mine in html and 'id="nav-new"' not in html and 'id="manifest-selected"' not in html
    resp = await client.get("/staff/new")
    assert resp.status == 403
    html = await resp.text()
    assert ('<p class="error" role="alert" id="message-detail">Quản trị viên không thuộc cơ quan nào nên không'
            ' tạo đơn; hãy dùng tài khoản cán bộ một cửa.</p>') in html
    assert '<a class="button secondary" href="/staff">← Quay lại</a>' in html


async def test_form_errors_are_named_by_field_in_form_order(client, world, db):
    csrf = await login(client)
    data = {**FORM, "citizen.name": "", "citizen.address.line": "", "dossier.procedure_name": "",
            "citizen.phone": "12", "cod_amount": "abc", "note": "Gọi\u202e trước"}
    resp = await post_form(client, "/staff/new", data, csrf)
    assert resp.status == 422
    html = await resp.text()
    summary = re.findall(r'<li data-field="([^"]+)">([^<]+)</li>', html)
    assert [f for f, _ in summary] == ["dossier.procedure_name", "citizen.name", "citizen.phone",
                                       "citizen.address.line", "cod_amount", "note"]
    assert ("citizen.name", "Họ tên người dân: Không được để trống.") in summary
    assert "Tên thủ tục: Không được để trống." in html and "Số tiền thu hộ: Phải là số nguyên." in html
    assert 'id="err-citizen-name"' in html and "Input should" not in html
    assert await db.fetchval("SELECT count(*) FROM shipments") == 0
