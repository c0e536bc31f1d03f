"""The staff reports page in headless Chromium on a phone (360×740) and a desktop (1280×800): pick a period,
read the table and the weekly chart, reschedule a late result from the late list, open its apology letter,
download the CSV. Set POSTAL_SCREENSHOTS=<dir> to keep screenshots."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest

from postal.services.views import Clock
from tests.e2e.test_staff_console import VIEWPORTS, assert_no_sideways_scroll, shot, sign_in
from tests.integration import sla_fixture

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
async def test_reports_period_table_chart_reschedule_and_csv(browser, live_server, world, db, settings, width,
                                                             height):
    codes = await sla_fixture.build(db)
    base = str(live_server.make_url("/")).rstrip("/")
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN",
                                        accept_downloads=True)
    page = await context.new_page()
    try:
        await sign_in(page, base)
        await page.click("#nav-reports")
        await page.wait_for_url(f"{base}/staff/reports")
        await page.fill("#p-from", "2026-10-01")
        await page.fill("#p-to", "2026-10-31")
        await page.click("#period-submit")
        await page.wait_for_url("**/staff/reports?from=2026-10-01&to=2026-10-31")
        row = page.locator('tr[data-agency="AG-1"][data-direction="delivery"]')
        assert await row.locator("td.rate").inner_text() == "60,00 %"
        assert await page.locator("#chart rect").count() == 5
        assert await page.locator("#chart").is_visible()
        assert "60,00 %" in await page.locator("#chart").inner_html()
        await assert_no_sideways_scroll(page, width)
        await shot(page, "staff-reports", width)

        # Reschedule the open late result H from the late list (a plain form, no script needed).
        item = page.locator(f'li[data-code="{codes["H"]}"]')
        await item.locator("summary").click()
        new_date = Clock(settings).today() + timedelta(days=5)
        await item.locator('input[name="new_date"]').fill(new_date.isoformat())
        await item.locator('textarea[name="reason"]').fill("Chờ cơ quan cấp trên ký duyệt kết quả.")
        await shot(page, "staff-reports-reschedule", width)
        await item.locator('button[type="submit"]').click()
        await page.wait_for_selector("#done")
        assert "from=2026-10-01" in page.url
        letter = page.locator(f'li[data-code="{codes["H"]}"] a.apology')
        assert await letter.count() == 1
        resp = await page.request.get(base + await letter.get_attribute("href"))
        assert resp.ok and resp.headers["content-type"] == "application/pdf"
        await assert_no_sideways_scroll(page, width)
        await shot(page, "staff-reports-done", width)

        async with page.expect_download() as info:
            await page.click("#csv-link")
        download = await info.value
        data = await asyncio.to_thread(Path(await download.path()).read_bytes)
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert [(r["direction"], r["on_time_rate"]) for r in rows] == [("delivery", "60.00"), ("pickup", "")]
    finally:
        await context.close()
