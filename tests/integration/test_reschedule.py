"""POST /shipments/{code}/reschedule and GET /shipments/{code}/apology.pdf over HTTP on a real PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from pypdf import PdfReader

from tests.conftest import World
from tests.integration.scan_helpers import create_shipment, delivery_proof, scan, scan_body, walk

API = "/api/v1/shipments"
TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
PAST_DUE = TODAY - timedelta(days=3)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def vn(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


async def reschedule(client: TestClient, world: World, code: str, new_date: str,
                     reason: str = "Cần xác minh thêm với cơ quan cấp trước đây.",
                     who: str = "staff1") -> ClientResponse:
    return await client.post(f"{API}/{code}/reschedule", json={"new_date": new_date, "reason": reason},
                             headers=world.auth(who))


async def late_shipment(client: TestClient, world: World) -> str:
    return await create_shipment(client, world, **{"dossier.appointment_date": PAST_DUE.isoformat()})


async def pdf_text(resp: ClientResponse) -> str:
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "application/pdf"
    reader = PdfReader(io.BytesIO(await resp.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


async def test_reschedule_keeps_the_original_date_notes_and_notifies(client, world, db):
    code = await late_shipment(client, world)
    resp = await reschedule(client, world, code, day(5))
    assert resp.status == 200, await resp.text()
    shipment = await resp.json()
    assert shipment["due_date"] == day(5) and shipment["overdue"] is False and shipment["status"] == "created"
    (event,) = [e for e in shipment["events"] if e["event"] == "rescheduled"]
    assert event["details"] == {"previous_due_date": PAST_DUE.isoformat(), "new_due_date": day(5),
                                "original_due_date": PAST_DUE.isoformat(),
                                "reason": "Cần xác minh thêm với cơ quan cấp trước đây."}
    assert event["status"] == "created" and event["applied"] is True
    row = await db.fetchrow("SELECT due_date, original_due_date, status FROM shipments WHERE tracking_code = $1",
                            code)
    assert (row["due_date"].isoformat(), row["original_due_date"], row["status"]) == (day(5), PAST_DUE, "created")
    (payload,) = [json.loads(p) for p in await db.fetchval(
        "SELECT array_agg(payload::text) FROM outbox WHERE topic = 'notification.late'")]
    assert payload["tracking_code"] == code and payload["due_date"] == day(5)
    assert payload["cause"] == "rescheduled" and payload["original_due_date"] == PAST_DUE.isoformat()
    text = json.dumps(payload, ensure_ascii=False)
    for personal in ("Nguyễn", "0912345678", "001199012345", "Hùng Vương", "xác minh"):
        assert personal not in text


async def test_twice_keeps_both_and_the_letter_shows_the_latest(client, world, db):
    code = await late_shipment(client, world)
    assert (await reschedule(client, world, code, day(3), "Lý do thứ nhất: chờ ký duyệt.")).status == 200
    resp = await reschedule(client, world, code, day(10), "Lý do thứ hai: chờ kết quả xác minh.")
    shipment = await resp.json()
    notes = [e["details"] for e in shipment["events"] if e["event"] == "rescheduled"]
    assert [(n["previous_due_date"], n["new_due_date"]) for n in notes] == [
        (PAST_DUE.isoformat(), day(3)), (day(3), day(10))]
    assert await db.fetchval("SELECT original_due_date FROM shipments WHERE tracking_code = $1", code) == PAST_DUE
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE topic = 'notification.late'") == 2

    dossier_code = await db.fetchval("SELECT dossier_code FROM shipments WHERE tracking_code = $1", code)
    text = await pdf_text(await client.get(f"{API}/{code}/apology.pdf", headers=world.auth("staff1")))
    for expected in ("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "Kính gửi: Ông/Bà Nguyễn Thị Hồng Nhung",
                     dossier_code, "Cấp đổi giấy phép lái xe", vn(PAST_DUE.isoformat()), vn(day(10)),
                     "Lý do thứ hai: chờ kết quả xác minh.", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHÚ THỌ",
                     "ĐẠI DIỆN CƠ QUAN", f"Phú Thọ, ngày {TODAY:%d} tháng {TODAY:%m} năm {TODAY:%Y}"):
        assert expected in text, expected
    assert "Lý do thứ nhất" not in text and vn(day(3)) not in text
    assert await db.fetchval("SELECT count(*) FROM print_log WHERE document = 'apology'") == 1
    # Admins and the agency's integration may print it too; another agency may not see it.
    for who in ("admin", "integ1"):
        assert (await client.get(f"{API}/{code}/apology.pdf", headers=world.auth(who))).status == 200
    assert (await client.get(f"{API}/{code}/apology.pdf", headers=world.auth("staff2"))).status == 404


async def test_no_letter_before_a_reschedule(client, world):
    code = await late_shipment(client, world)
    resp = await client.get(f"{API}/{code}/apology.pdf", headers=world.auth("staff1"))
    assert resp.status == 409 and "chưa được hẹn lại" in (await resp.json())["detail"]
    assert (await client.get(f"{API}/RA999999990VN/apology.pdf", headers=world.auth("staff1"))).status == 404


async def _nothing_written(db: asyncpg.Connection, before: tuple[int, int]) -> None:
    assert await db.fetchval("SELECT count(*) FROM shipment_events") == before[0]
    assert await db.fetchval("SELECT count(*) FROM outbox") == before[1]


@pytest.mark.parametrize(("who", "body", "status", "field"), [
    ("staff2", {"new_date": day(5), "reason": "x"}, 404, None),          # another agency's shipment
    ("courier1", {"new_date": day(5), "reason": "x"}, 403, None),
    ("integ1", {"new_date": day(5), "reason": "x"}, 403, None),
    ("staff1", {"new_date": TODAY.isoformat(), "reason": "Chờ ký"}, 422, "new_date"),  # not after today
    ("staff1", {"new_date": day(-1), "reason": "Chờ ký"}, 422, "new_date"),
    ("staff1", {"new_date": day(400), "reason": "Chờ ký"}, 422, "new_date"),
    ("staff1", {"new_date": "2026-02-30", "reason": "Chờ ký"}, 422, "new_date"),
    ("staff1", {"new_date": day(5)}, 422, "reason"),
    ("staff1", {"new_date": day(5), "reason": "   "}, 422, "reason"),
    ("staff1", {"new_date": day(5), "reason": "a\x07b"}, 422, "reason"),
    ("staff1", {"reason": "Chờ ký"}, 422, "new_date"),
])
async def test_refusals_write_nothing(client, world, db, who, body, status, field):
    code = await late_shipment(client, world)
    before = (await db.fetchval("SELECT count(*) FROM shipment_events"),
              await db.fetchval("SELECT count(*) FROM outbox"))
    resp = await client.post(f"{API}/{code}/reschedule", json=body, headers=world.auth(who))
    assert resp.status == status, await resp.text()
    problem = await resp.json()
    if field:
        assert field in [e["field"] for e in problem["errors"]]
    await _nothing_written(db, before)


async def test_not_before_the_date_in_force_and_not_when_terminal(client, world, db):
    code = await create_shipment(client, world, **{"dossier.appointment_date": day(10)})
    resp = await reschedule(client, world, code, day(10))
    assert resp.status == 422 and "ngày hẹn hiện tại" in (await resp.json())["detail"]
    assert (await reschedule(client, world, code, day(11))).status == 200
    assert (await client.post(f"{API}/{code}/cancel", headers=world.auth("staff1"))).status == 200
    resp = await reschedule(client, world, code, day(20))
    assert resp.status == 409 and (await resp.json())["current_status"] == "cancelled"
    pickup = await create_shipment(client, world, direction="pickup",
                                   **{"dossier.appointment_date": None, "dossier.code": "000.00.15.H62-260315-0013"})
    assert (await reschedule(client, world, pickup, day(20))).status == 409


async def test_a_reschedule_never_makes_a_courier_scan_late(client, world):
    code = await late_shipment(client, world)
    await walk(client, world, code, ["picked_up", "arrived", "out_for_delivery"], start=-60)
    assert (await reschedule(client, world, code, day(2))).status == 200
    # The courier handed it over five minutes ago; the phone syncs after the reschedule.
    resp = await scan(client, world, scan_body(code, "delivered", -5, proof=delivery_proof()))
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["status"] == "delivered"


async def test_the_citizen_sees_the_new_date_and_no_reason(client, world):
    code = await late_shipment(client, world)
    await reschedule(client, world, code, day(5), "Hồ sơ của ông Nguyễn Văn A cần bổ sung.")
    resp = await client.get(f"/api/v1/track/{code}")
    view = await resp.json()
    assert view["due_date"] == day(5)
    assert [e["event_text"] for e in view["events"]] == ["Hẹn lại ngày trả kết quả"]
    assert "Nguyễn" not in json.dumps(view, ensure_ascii=False)
    page = await (await client.get(f"/t/{code}")).text()
    assert "Hẹn lại ngày trả kết quả" in page and "bổ sung" not in page
