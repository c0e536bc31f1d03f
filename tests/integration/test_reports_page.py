"""The staff reports page over HTTP: period form, table in Vietnamese number format, SVG chart, late list, CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from postal.services.views import Clock
from tests.integration import sla_fixture
from tests.integration.page_checks import CSRF_TEXT, refused, search
from tests.integration.test_staff_pages import login, post_form

OCTOBER = "/staff/reports?from=2026-10-01&to=2026-10-31"


async def test_the_report_page_shows_table_chart_late_list_and_csv(client, world, db):
    codes = await sla_fixture.build(db)
    await login(client)
    resp = await client.get(OCTOBER)
    assert resp.status == 200
    html = await resp.text()
    assert "Báo cáo đúng hẹn" in html and 'id="nav-reports"' in html
    row = search(r'<tr data-agency="AG-1" data-direction="delivery">(.*?)</tr>', html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == ["AG-1", "Trả kết quả", "60,00 %", "8", "5", "3", "2", "96,00", "169,60", "37,50 %", "1", "1",
                     "0"]
    assert 'data-agency="AG-2"' not in html  # staff see their agency only
    # The chart: one bar per week of October (5 Mondays from 28/09), labelled in text.
    svg = search(r'<svg viewBox="0 0 640.*?</svg>', html, re.S).group(0)
    assert svg.count("<rect") == 5 and "28/09" in svg and "100 %" in svg
    # Week of 05/10: A, C, F on time; B, G late → 3 of 5. Week of 12/10: H still open, nothing handed over.
    assert "Tuần từ 05/10/2026: 3/5 đúng hẹn (60,00 %)" in svg and "60,00 %</text>" in svg
    assert "Tuần từ 12/10/2026: 0/0 đúng hẹn</title>" in svg
    # The late list: B and G delivered late, H and K (pickup) open past due; the others are not late.
    late = search(r'<section class="card" id="late">(.*?)</section>', html, re.S).group(1)
    listed = re.findall(r'<li data-code="([^"]+)"', late)
    assert sorted(listed) == sorted([codes["B"], codes["G"], codes["H"], codes["K"]])
    assert f'action="/staff/shipments/{codes["K"]}/reschedule"' not in late  # pickup: no result to reschedule
    assert f'action="/staff/shipments/{codes["H"]}/reschedule"' in late
    assert f'action="/staff/shipments/{codes["B"]}/reschedule"' not in late  # delivered: nothing to reschedule
    # The CSV link works with the session cookie.
    csv_url = search(r'id="csv-link" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    resp = await client.get(csv_url)
    assert resp.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    assert [(r["direction"], r["on_time_rate"]) for r in rows] == [("delivery", "60.00"), ("pickup", "")]


async def test_bad_period_is_explained_in_vietnamese(client, world):
    await login(client)
    resp = await client.get("/staff/reports?from=2026-10-31&to=2026-10-01")
    assert resp.status == 422
    html = await resp.text()
    assert 'id="period-errors"' in html and "Ngày cuối phải từ ngày đầu" in html
    resp = await client.get("/staff/reports?from=hôm-qua&to=")
    assert resp.status == 422 and "YYYY-MM-DD" in await resp.text()
    resp = await client.get("/staff/reports?from=2026-10-01&to=2026-10-31&agency=AG-2")
    assert resp.status == 404


async def test_default_period_is_this_month(client, world, settings):
    await login(client)
    html = await (await client.get("/staff/reports")).text()
    today = Clock(settings).today()
    assert f'value="{today.replace(day=1).isoformat()}"' in html and f'value="{today.isoformat()}"' in html


async def test_reschedule_from_the_late_list_then_the_letter(client, world, db, settings):
    today = Clock(settings).today()
    code = await sla_fixture.add(db, status="out_for_delivery", created=sla_fixture.at(12, 9),
                                 due=sla_fixture.date(2026, 10, 15))
    csrf = await login(client)
    new_date = (today + timedelta(days=4)).isoformat()
    resp = await post_form(client, f"/staff/shipments/{code}/reschedule",
                           {"new_date": new_date, "reason": "Chờ cơ quan cấp trên ký."}, csrf,
                           headers={"Referer": f"http://{client.host}:{client.port}{OCTOBER}"})
    assert resp.status == 303, await resp.text()
    assert resp.headers["Location"] == f"{OCTOBER}&done={code}"
    assert str(await db.fetchval("SELECT due_date FROM shipments WHERE tracking_code = $1", code)) == new_date
    html = await (await client.get(resp.headers["Location"])).text()
    assert 'id="done"' in html and f'href="/api/v1/shipments/{code}/apology.pdf"' in html
    assert (await client.get(f"/api/v1/shipments/{code}/apology.pdf")).content_type == "application/pdf"
    # A bad date comes back as a Vietnamese page, nothing written; a missing CSRF token is refused.
    resp = await post_form(client, f"/staff/shipments/{code}/reschedule", {"new_date": "2020-01-01",
                                                                           "reason": "x"}, csrf)
    assert resp.status == 422 and "Ngày hẹn mới phải sau" in await resp.text()
    resp = await client.post(f"/staff/shipments/{code}/reschedule", data={"new_date": new_date, "reason": "x"})
    await refused(resp, CSRF_TEXT, back="/staff")
    assert await db.fetchval("SELECT count(*) FROM shipment_events WHERE event = 'rescheduled'") == 1
