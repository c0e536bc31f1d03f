"""The staff console in headless Chromium, on a phone (360×740) and a desktop (1280×800): sign in, create an
order with the province/ward pickers, find it in the list, print its slip (a PDF download), make a manifest.

Set POSTAL_SCREENSHOTS=<dir> to keep a screenshot of each page for a look."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

import pytest
from playwright.async_api import Page
from pypdf import PdfReader

pytestmark = pytest.mark.browser
VIEWPORTS = [(360, 740), (1280, 800)]


async def shot(page: Page, name: str, width: int) -> None:
    target = os.environ.get("POSTAL_SCREENSHOTS")
    if target:
        await page.screenshot(path=os.path.join(target, f"{name}-{width}.png"), full_page=True)  # makes the dir


async def assert_no_sideways_scroll(page: Page, width: int) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


async def sign_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/staff")
    assert "/login" in page.url
    await page.fill("#username", "staff1")
    await page.fill("#password", "correct-horse-battery")
    await page.click("#login-submit")
    await page.wait_for_url(f"{base}/staff")


async def fill_order(page: Page) -> None:
    await page.fill('[name="dossier.code"]', "000.00.15.H62-261126-0042")
    await page.fill('[name="dossier.procedure_name"]', "Cấp đổi giấy phép lái xe")
    await page.fill('[name="dossier.appointment_date"]', "2026-12-03")
    await page.fill('[name="citizen.name"]', "Nguyễn Thị Hồng Nhung")
    await page.fill('[name="citizen.phone"]', "0912345678")
    await page.fill('[name="citizen.address.line"]', "Số 12 ngõ 3 đường Hùng Vương")
    # The ward list follows the province (fetched from /staff/wards).
    await page.select_option("#province", "01")
    await page.wait_for_selector('#ward option[value="00004"]', state="attached")
    assert await page.locator('#ward option[value="08707"]').count() == 0
    await page.select_option("#province", "25")
    await page.wait_for_selector('#ward option[value="08707"]', state="attached")
    await page.select_option("#ward", label="Phường Vĩnh Yên")


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
async def test_staff_creates_finds_and_prints(browser, live_server, world, db, width, height):
    base = str(live_server.make_url("/")).rstrip("/")
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN",
                                        accept_downloads=True)
    page = await context.new_page()
    try:
        await sign_in(page, base)
        await page.click("text=+ Tạo đơn mới")
        await page.wait_for_url(f"{base}/staff/new")
        assert await page.is_hidden("#documents")  # delivery: no document list
        await shot(page, "staff-new", width)
        await assert_no_sideways_scroll(page, width)

        # A first try with a bad phone number: the message sits next to the field, the rest is kept.
        await fill_order(page)
        await page.fill('[name="citizen.phone"]', "12345")
        await page.click("#create-submit")
        await page.wait_for_selector("#err-citizen-phone")
        assert await page.input_value('[name="citizen.name"]') == "Nguyễn Thị Hồng Nhung"
        assert await page.input_value("#ward") == "08707"
        await shot(page, "staff-new-errors", width)
        await page.fill('[name="citizen.phone"]', "0912 345 678")
        await page.click("#create-submit")
        await page.wait_for_selector("#created-ok")
        code = await page.get_attribute("#shipment", "data-code")
        row = await db.fetchrow("SELECT ward_code, citizen_phone FROM shipments WHERE tracking_code = $1", code)
        assert tuple(row) == ("08707", "0912345678")
        await shot(page, "staff-detail", width)
        await assert_no_sideways_scroll(page, width)

        # The list shows it; tick it and print: the answer is a PDF with its slip.
        await page.goto(f"{base}/staff")
        item = page.locator(f'li[data-code="{code}"]')
        assert await item.count() == 1
        await shot(page, "staff-list", width)
        await assert_no_sideways_scroll(page, width)
        await item.locator("input.pick").check()
        assert await page.inner_text("#selected-count") == "Đã chọn 1"
        await page.select_option("#print-format", "a4")
        async with page.expect_download() as info:
            await page.click("#print-selected")
        download = await info.value
        data = await asyncio.to_thread(Path(await download.path()).read_bytes)
        assert data.startswith(b"%PDF-")
        (sheet,) = PdfReader(io.BytesIO(data)).pages
        assert code in sheet.extract_text() and "Nguyễn Thị Hồng Nhung" in sheet.extract_text()
        assert await db.fetchval("SELECT count(*) FROM print_log WHERE document = 'labels'") == 1

        # And a manifest for the courier.
        await item.locator("input.pick").check()
        await page.click("#manifest-selected")
        await page.wait_for_selector("#manifest")
        assert code in await page.inner_text("#manifest")
        await shot(page, "staff-manifest", width)
    finally:
        await context.close()
