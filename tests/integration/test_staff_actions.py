"""The staff console's issue-14 actions over HTTP: proof of delivery with attachments (agency-scoped),
unlock, return, new date, cancel with confirmation, the manifest list and void, list marks and page sizes."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from PIL import Image

from tests.integration.scan_helpers import create_shipment, delivery_proof, scan, scan_body, walk
from tests.integration.test_staff_pages import login, post_form


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, "PNG")
    return out.getvalue()


async def _delivered_with_proof(client, world) -> tuple[str, str]:
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery"], start=-120)
    proof = delivery_proof(relationship="authorized", authorization_number="UQ-2026/17",
                           recipient_name="Trần Văn Bình")
    body = scan_body(code, "delivered", proof=proof, note="Giao tại quầy lễ tân")
    resp = await scan(client, world, body)
    assert resp.status == 201, await resp.text()
    resp = await client.post(f"/api/v1/scans/{body['client_event_id']}/attachment?kind=signature", data=_png(),
                             headers={**world.auth("courier1"), "Content-Type": "image/png"})
    assert resp.status == 201, await resp.text()
    return code, str((await resp.json())["id"])


async def test_proof_of_delivery_on_the_detail_page(client, world):
    code, attachment_id = await _delivered_with_proof(client, world)
    await login(client)
    html = await (await client.get(f"/staff/shipments/{code}")).text()
    assert 'id="proof"' in html and "Trần Văn Bình" in html
    assert "Người được uỷ quyền — giấy uỷ quyền số UQ-2026/17" in html
    assert "4 số cuối CCCD" in html and "Giao tại quầy lễ tân" in html
    assert "2345" not in html.split('id="proof"')[1].split("</section>")[0]  # the value is never shown
    url = f"/staff/shipments/{code}/attachments/{attachment_id}"
    assert f'src="{url}"' in html
    resp = await client.get(url)
    assert resp.status == 200 and resp.content_type == "image/png"
    assert resp.headers["Cache-Control"].startswith("private")
    assert (await client.get(f"/staff/shipments/{code}/attachments/999999")).status == 404
    assert (await client.get(f"/staff/shipments/{code}/attachments/x1")).status == 404
    other = await create_shipment(client, world)  # another shipment's path does not serve this attachment
    assert (await client.get(f"/staff/shipments/{other}/attachments/{attachment_id}")).status == 404


async def test_attachment_is_agency_scoped(client, world, db):
    code, attachment_id = await _delivered_with_proof(client, world)
    url = f"/staff/shipments/{code}/attachments/{attachment_id}"
    assert (await client.get(url, allow_redirects=False)).status == 302  # signed out: to the login page
    await login(client, "staff2")
    assert (await client.get(url)).status == 404
    assert "Trần Văn Bình" not in await (await client.get(f"/staff/shipments/{code}")).text()
    assert await db.fetchval("SELECT count(*) FROM access_log WHERE action = 'attachment'") == 0
    await login(client, "staff1")
    assert (await client.get(url)).status == 200
    assert await db.fetchval("SELECT count(*) FROM access_log WHERE action = 'attachment'") == 1


async def test_unlock_a_locked_handover(client, world, db):
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery"], start=-120)
    await db.execute("UPDATE shipments SET verification_failures = 5 WHERE tracking_code = $1", code)
    csrf = await login(client)
    html = await (await client.get(f"/staff/shipments/{code}")).text()
    assert 'id="unlock-form"' in html
    resp = await post_form(client, f"/staff/shipments/{code}/unlock", {}, csrf)
    assert resp.status == 422 and "ô xác nhận" in await resp.text()
    assert await db.fetchval("SELECT verification_failures FROM shipments WHERE tracking_code = $1", code) == 5
    resp = await client.post(f"/staff/shipments/{code}/unlock", data={"confirm": "yes"}, allow_redirects=False)
    assert resp.status == 403  # no CSRF token
    resp = await post_form(client, f"/staff/shipments/{code}/unlock", {"confirm": "yes"}, csrf)
    assert resp.status == 303 and resp.headers["Location"] == f"/staff/shipments/{code}?done=unlocked"
    html = await (await client.get(resp.headers["Location"])).text()
    assert 'id="action-done"' in html and "Đã mở khoá" in html and 'id="unlock-form"' not in html
    assert await db.fetchval("SELECT verification_failures FROM shipments WHERE tracking_code = $1", code) == 0


async def test_order_a_return_with_a_reason(client, world):
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up"])
    csrf = await login(client)
    resp = await post_form(client, f"/staff/shipments/{code}/return", {"reason": "  ", "confirm": "yes"}, csrf)
    assert resp.status == 422 and "lý do" in (await resp.text()).lower()
    resp = await post_form(client, f"/staff/shipments/{code}/return", {"reason": "Công dân đề nghị"}, csrf)
    assert resp.status == 422
    resp = await post_form(client, f"/staff/shipments/{code}/return",
                           {"reason": "Công dân đề nghị nhận tại quầy", "confirm": "yes"}, csrf)
    assert resp.status == 303 and resp.headers["Location"].endswith("?done=returned")
    html = await (await client.get(resp.headers["Location"])).text()
    assert "Đã yêu cầu chuyển hoàn" in html and "Công dân đề nghị nhận tại quầy" in html  # the timeline
    status = (await (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))).json())["status"]
    assert status == "returned"
    assert 'id="return-form"' not in html
    resp = await post_form(client, f"/staff/shipments/{code}/return", {"reason": "lần hai", "confirm": "yes"}, csrf)
    assert resp.status == 409 and 'id="action-error"' in await resp.text()


async def test_new_date_in_day_month_year(client, world):
    code = await create_shipment(client, world)
    csrf = await login(client)
    resp = await post_form(client, f"/staff/shipments/{code}/new-date",
                           {"new_date": "31/02/2030", "reason": "Chờ xác minh", "confirm": "yes"}, csrf)
    assert resp.status == 422 and "ngày/tháng/năm" in await resp.text()
    new = date.today() + timedelta(days=20)
    resp = await post_form(client, f"/staff/shipments/{code}/new-date",
                           {"new_date": f"{new:%d/%m/%Y}", "reason": "Chờ xác minh thêm", "confirm": "yes"}, csrf)
    assert resp.status == 303, await resp.text()
    html = await (await client.get(resp.headers["Location"])).text()
    assert "Đã hẹn lại" in html and f"{new:%d/%m/%Y}" in html
    shipment = await (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))).json()
    assert shipment["due_date"] == new.isoformat()


async def test_manifest_pages_void_and_list_marks(client, world):
    a, b = await create_shipment(client, world), await create_shipment(client, world)
    csrf = await login(client)
    resp = await client.post("/staff/manifests", data=[("csrf_token", csrf), ("codes", a), ("codes", b),
                                                       ("post_office_code", "PO-1")], allow_redirects=False)
    assert resp.status == 303
    manifest_id = resp.headers["Location"].rsplit("/", 1)[1]
    html = await (await client.get("/staff")).text()
    found = re.search(rf'<li class="ship[^"]*" data-code="{a}">.*?</li>', html, re.S)
    assert found is not None, html
    row = found.group(0)
    assert f"Trong bảng kê {manifest_id}" in row and 'name="codes"' not in row and "disabled" in row
    html = await (await client.get("/staff/manifests")).text()
    assert manifest_id in html and f"/api/v1/manifests/{manifest_id}.pdf" in html
    html = await (await client.get(f"/staff/manifests/{manifest_id}")).text()
    assert 'id="void-form"' in html
    resp = await post_form(client, f"/staff/manifests/{manifest_id}/void", {"reason": "Nhầm bưu cục"}, csrf)
    assert resp.status == 422
    resp = await post_form(client, f"/staff/manifests/{manifest_id}/void",
                           {"reason": "Nhầm bưu cục", "confirm": "yes"}, csrf)
    assert resp.status == 303
    html = await (await client.get(resp.headers["Location"])).text()
    assert 'id="action-done"' in html and 'id="voided"' in html and "Nhầm bưu cục" in html
    assert 'id="void-form"' not in html
    html = await (await client.get("/staff")).text()
    assert "Trong bảng kê" not in html and f'value="{a}"' in html
    resp = await client.get(f"/api/v1/manifests/{manifest_id}.pdf")
    assert resp.headers["Content-Disposition"] == f'inline; filename="bang-ke-{manifest_id}.pdf"'


async def test_page_sizes_and_filters_in_the_url(client, world):
    for _ in range(3):
        await create_shipment(client, world)
    await login(client)
    html = await (await client.get("/staff?limit=20&q=nhung&direction=delivery")).text()
    assert '<option value="20" selected>' in html
    html = await (await client.get("/staff?limit=7")).text()  # not offered: the default
    assert '<option value="50" selected>' in html
    resp = await client.get("/staff?limit=20&q=nguyen")
    assert resp.status == 200


async def test_fee_payer_and_exemption_on_the_detail_page(client, world):
    code = await create_shipment(client, world, fee_payer="agency", fee_exemption="full")
    await login(client)
    html = await (await client.get(f"/staff/shipments/{code}")).text()
    assert re.search(r'id="fee">Cơ quan trả cước · Miễn cước<', html)


async def test_create_form_dates_in_day_month_year_and_ward_search(client, world):
    from tests.integration.test_staff_pages import FORM

    csrf = await login(client)
    html = await (await client.get("/staff/new")).text()
    assert 'placeholder="dd/mm/yyyy"' in html and 'id="ward-search-box" hidden' in html
    resp = await post_form(client, "/staff/new", {**FORM, "dossier.appointment_date": "03/12/2026"}, csrf)
    assert resp.status == 303, await resp.text()
    code = resp.headers["Location"].split("/")[-1].split("?")[0]
    shipment = await (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))).json()
    assert shipment["dossier"]["appointment_date"] == "2026-12-03"
    html = await (await client.get(f"/staff/shipments/{code}")).text()
    assert "03/12/2026" in html
    resp = await post_form(client, "/staff/new", {**FORM, "dossier.appointment_date": "32/13/2026"}, csrf)
    assert resp.status == 422 and 'id="err-dossier-appointment_date"' in await resp.text()

    found = await (await client.get("/staff/wards/search?q=vinh yen")).json()
    assert found["wards"][0] == {"code": "08707", "name": "Phường Vĩnh Yên", "province_code": "25",
                                 "province_name": "Phú Thọ"}
    assert (await (await client.get("/staff/wards/search?q=8707")).json())["wards"][0]["code"] == "08707"
    assert (await (await client.get("/staff/wards/search?q=")).json())["wards"] == []
    assert len((await (await client.get("/staff/wards/search?q=xa")).json())["wards"]) == 20
