"""The courier's phone page in headless Chromium (360×740): sign in, scan, record pickup, queue offline, sync."""

from __future__ import annotations

import aiohttp
import asyncpg
import pytest
from playwright.async_api import expect

from tests.conftest import World
from tests.integration.payloads import create_body

pytestmark = pytest.mark.browser


async def _create_shipment(base: str, world: World) -> str:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{base}/api/v1/shipments", json=create_body(), headers=world.auth("staff1"))
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["tracking_code"])


async def _events(db: asyncpg.Connection, code: str) -> list[str]:
    rows = await db.fetch(
        "SELECT e.event FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id"
        " WHERE s.tracking_code = $1 ORDER BY e.id", code)
    return [r["event"] for r in rows]


async def test_courier_scans_online_and_offline(browser, live_server, world, db):
    base = str(live_server.make_url("/")).rstrip("/")
    code = await _create_shipment(base, world)
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = await context.new_page()
    try:
        await page.goto(f"{base}/courier")
        assert "/login" in page.url
        await page.fill("#username", "courier1")
        await page.fill("#password", "correct-horse-battery")
        await page.click("#login-submit")
        await page.wait_for_url(f"{base}/courier")
        assert await page.locator(f'li[data-code="{code}"]').count() == 1
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360

        # Typed (or wedge-scanned) code + Enter opens the item page with only the allowed actions.
        await page.fill("#scan-input", code.lower())
        await page.press("#scan-input", "Enter")
        await page.wait_for_url(f"{base}/courier/items/{code}")
        assert await page.locator("button.action").all_inner_texts() == ["Bưu tá nhận bưu gửi"]
        await page.click("#action-picked_up")
        await page.wait_for_selector("#action-message.ok")
        await page.wait_for_selector("#action-arrived")  # reloaded with the next actions
        assert await _events(db, code) == ["picked_up"]

        # Offline: two quick scans go to the queue on the device.
        await page.goto(f"{base}/courier")
        await context.set_offline(True)
        await page.select_option("#scan-mode", "arrived")
        await page.fill("#scan-input", code)
        await page.press("#scan-input", "Enter")
        await page.select_option("#scan-mode", "out_for_delivery")
        await page.fill("#scan-input", code)
        await page.press("#scan-input", "Enter")
        # Locator waits, not wait_for_function: the page's CSP forbids the eval Playwright polls with.
        await expect(page.locator("#queue-count")).to_have_text("2")
        assert await _events(db, code) == ["picked_up"]

        # Back online: the queue syncs through /scans/batch, in order, once.
        await context.set_offline(False)
        await expect(page.locator("#queue-count")).to_have_text("0", timeout=15000)
        assert await _events(db, code) == ["picked_up", "arrived", "out_for_delivery"]
        status = await db.fetchval("SELECT status FROM shipments WHERE tracking_code = $1", code)
        assert status == "out_for_delivery"
        await page.evaluate("window.postalCourier.sync()")  # a second sync sends nothing again
        assert await _events(db, code) == ["picked_up", "arrived", "out_for_delivery"]
    finally:
        await context.close()


async def test_handover_with_proof_form(browser, live_server, world, db):
    base = str(live_server.make_url("/")).rstrip("/")
    code = await _create_shipment(base, world)
    context = await browser.new_context(viewport={"width": 360, "height": 740})
    page = await context.new_page()
    try:
        await page.goto(f"{base}/login?next=/courier/items/{code}")
        await page.fill("#username", "courier1")
        await page.fill("#password", "correct-horse-battery")
        await page.click("#login-submit")
        await page.wait_for_url(f"{base}/courier/items/{code}")
        for event in ("picked_up", "out_for_delivery"):
            await page.click(f"#action-{event}")
            await page.wait_for_selector("#action-message.ok")
            await page.wait_for_load_state("load")
            await expect(page.locator("#action-message")).to_have_text("")
        await page.click("#action-delivered")
        await page.fill("#verification-value", "9999")
        await page.click("#proof-form button[type=submit]")
        await page.wait_for_selector("#action-message.error")
        assert "Còn 4 lần thử" in await page.inner_text("#action-message")
        box = await page.locator("#signature-pad").bounding_box()
        await page.mouse.move(box["x"] + 20, box["y"] + 20)
        await page.mouse.down()
        await page.mouse.move(box["x"] + 120, box["y"] + 80)
        await page.mouse.up()
        await page.fill("#verification-value", "2345")
        await page.click("#proof-form button[type=submit]")
        await page.wait_for_selector("#no-actions", timeout=10000)
        assert await _events(db, code) == ["picked_up", "out_for_delivery", "delivered"]
        assert await db.fetchval("SELECT count(*) FROM scan_attachments WHERE kind = 'signature'") == 1
    finally:
        await context.close()
