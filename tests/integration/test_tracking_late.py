"""What the citizen reads about late scans and impossible times (issue 8, items 11 and 17), through HTTP:
scans posted by a courier, then the /t/ page's HTML and the /api/v1/track JSON."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from postal.app import create_app
from postal.domain.status_texts import STATUS_TEXT_EN, STATUS_TEXT_VI
from postal.settings import Settings
from tests.integration import tracking_support as ts
from tests.integration.scan_helpers import backdate, delivery_proof, scan, scan_body, walk

LATE_VI = "Ghi nhận muộn, không thay đổi trạng thái"
LATE_EN = "Recorded late, did not change the status"


@pytest.fixture
async def roomy(aiohttp_client: AiohttpClient, settings: Settings) -> TestClient:
    """The app with a rate limit that does not get in the way of many lookups."""
    return await aiohttp_client(await create_app(settings.model_copy(update={"track_rate_limit": 100_000})))


async def _created(client: Any, world: Any, direction: str = "delivery") -> str:
    code = str((await ts.create(client, world, direction))["tracking_code"])
    await backdate(world, code)
    return code


async def _out_with_late_delivered(client: Any, world: Any) -> str:
    """Picked up 30 min ago, arrived 20, out 10; then a 'delivered' dated 15 min ago arrives late."""
    code = await _created(client, world)
    for event, minutes in (("picked_up", -30), ("arrived", -20), ("out_for_delivery", -10)):
        assert (await scan(client, world, scan_body(code, event, minutes))).status == 201
    resp = await scan(client, world, scan_body(code, "delivered", -15, proof=delivery_proof()))
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["event"]["applied"] is False
    return code


def _headline(html: str) -> tuple[str, str]:
    found = re.search(r'<h1 id="status-title" data-status="([a-z_]+)">([^<]*)</h1>', html)
    assert found, html
    return found.group(1), found.group(2)


def _current_item(html: str) -> str:
    found = re.search(r'<li class="current">(.*?)</li>', html, re.S)
    assert found, html
    return found.group(1)


async def test_late_delivered_never_reads_as_delivered_in_the_api(roomy, world):
    code = await _out_with_late_delivered(roomy, world)
    for lang, texts, late in (("vi", STATUS_TEXT_VI, LATE_VI), ("en", STATUS_TEXT_EN, LATE_EN)):
        data = await (await roomy.get(f"/api/v1/track/{code}", params={"lang": lang})).json()
        assert data["status"] == "out_for_delivery"
        assert data["status_text"] == texts[ts.Status.out_for_delivery]
        delivered = [e for e in data["events"] if e["event"] == "delivered"]
        assert len(delivered) == 1 and delivered[0]["applied"] is False and delivered[0]["late"] is True
        assert delivered[0]["status_text"] == late  # not "Đã giao thành công"
        assert all(e["status_text"] not in texts.values() for e in data["events"] if not e["applied"])
        assert [e["event"] for e in data["events"]] == ["picked_up", "arrived", "delivered", "out_for_delivery"]


async def test_late_delivered_never_reads_as_delivered_on_the_page(roomy, world):
    code = await _out_with_late_delivered(roomy, world)
    html = await (await roomy.get(f"/t/{code}")).text()
    assert _headline(html) == ("out_for_delivery", "Bưu tá đang đi phát")
    assert "Đã giao thành công" not in html and "Kết quả đã được giao thành công" not in html
    assert LATE_VI in html
    assert "Bưu tá đang đi phát" in _current_item(html)  # the newest applied event, not the late one
    late = re.search(r'<li class=" late">(.*?)</li>', html, re.S)
    assert late and "Phát thành công" in late.group(1) and LATE_VI in late.group(1)
    english = await (await roomy.get(f"/t/{code}", params={"lang": "en"})).text()
    assert _headline(english) == ("out_for_delivery", "Out for delivery")
    assert LATE_EN in english and "Your result has been delivered" not in english


async def test_late_duplicates_are_shown_once_to_the_citizen_and_all_to_staff(roomy, world):
    code = await _created(roomy, world)
    await walk(roomy, world, code, ["picked_up", "arrived", "out_for_delivery"], start=-30)
    resp = await roomy.post("/api/v1/scans/batch", headers=world.auth("courier1"), json={"scans": [
        scan_body(code, "arrived", -29.5), scan_body(code, "arrived", -29.2), scan_body(code, "picked_up", -29.8)]})
    assert [r["status"] for r in (await resp.json())["results"]] == [201, 201, 201]
    data = await (await roomy.get(f"/api/v1/track/{code}")).json()
    assert [e["event"] for e in data["events"]] == ["picked_up", "arrived", "out_for_delivery"]
    assert all(e["applied"] for e in data["events"])
    html = await (await roomy.get(f"/t/{code}")).text()
    assert html.count("Đến bưu cục") == 1 and LATE_VI not in html
    staff = await (await roomy.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))).json()
    assert [e["event"] for e in staff["events"]].count("arrived") == 3
    assert sum(not e["applied"] for e in staff["events"]) == 3


async def _events(db: Any, code: str) -> int:
    return int(await db.fetchval(
        "SELECT count(*) FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id WHERE s.tracking_code = $1",
        code))


def _names_occurred_at(problem: dict[str, Any]) -> None:
    assert problem["status"] == 422
    assert "occurred_at" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["occurred_at"]


async def test_delivery_dated_before_the_pickup_is_refused(roomy, world, db):
    code = await _created(roomy, world)
    await walk(roomy, world, code, ["picked_up", "out_for_delivery"], start=-10)
    before = await _events(db, code)
    for event, extra in (("delivered", {"proof": delivery_proof()}), ("arrived", {}),
                         ("out_for_delivery", {}), ("delivery_failed", {"reason_code": "absent"})):
        resp = await scan(roomy, world, scan_body(code, event, -60, **extra))
        assert resp.status == 422, await resp.text()
        problem = await resp.json()
        _names_occurred_at(problem)
        assert "nhận bưu gửi" in problem["detail"]
    resp = await roomy.post("/api/v1/scans/batch", headers=world.auth("courier1"), json={"scans": [
        scan_body(code, "delivered", -60, proof=delivery_proof()), scan_body(code, "arrived", -9.5)]})
    results = (await resp.json())["results"]
    assert [r["status"] for r in results] == [422, 201]
    _names_occurred_at(results[0]["error"])
    assert await _events(db, code) == before + 1  # only the batch's good (late) arrival
    data = await (await roomy.get(f"/api/v1/track/{code}")).json()
    assert data["status"] == "out_for_delivery" and "delivered" not in [e["event"] for e in data["events"]]


async def test_scan_dated_before_the_order_existed_is_refused(roomy, world, db):
    code = str((await ts.create(roomy, world))["tracking_code"])  # created just now
    resp = await scan(roomy, world, scan_body(code, "picked_up", -5))  # the one-statement path refuses too
    assert resp.status == 422, await resp.text()
    _names_occurred_at(await resp.json())
    assert "tạo đơn" in (await resp.json())["detail"]
    resp = await roomy.post("/api/v1/scans/batch", headers=world.auth("courier1"),
                            json={"scans": [scan_body(code, "picked_up", -5)]})
    assert (await resp.json())["results"][0]["status"] == 422
    assert await _events(db, code) == 0
    assert (await scan(roomy, world, scan_body(code, "picked_up", 0))).status == 201
    assert (await (await roomy.get(f"/api/v1/track/{code}")).json())["status"] == "picked_up"


@pytest.mark.parametrize(("direction", "lang", "reveal", "heading", "wrong"), [
    ("pickup", "vi", "Xem tên người gửi", "Người gửi", "Xem tên người nhận"),
    ("pickup", "en", "Show the sender", "Sender", "Show the recipient"),
    ("delivery", "vi", "Xem tên người nhận", "Người nhận", "Xem tên người gửi"),
    ("delivery", "en", "Show the recipient", "Recipient", "Show the sender"),
])
async def test_citizen_page_texts_follow_the_direction(roomy, world, direction, lang, reveal, heading, wrong):
    code = str((await ts.create(roomy, world, direction))["tracking_code"])
    params = {"lang": lang} if lang == "en" else {}
    html = await (await roomy.get(f"/t/{code}", params=params)).text()
    assert f'<h2 id="reveal-title">{reveal}</h2>' in html and wrong not in html
    shown = await (await roomy.get(f"/t/{code}", params={**params, "phone4": ts.PHONE4})).text()
    assert f'<h2 id="recipient-title">{heading}</h2>' in shown and ts.MASKED in shown
    assert wrong not in shown and reveal not in shown
