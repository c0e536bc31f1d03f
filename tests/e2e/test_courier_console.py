"""Issue 14 items 7–9 in headless Chromium at 1366×800 and 390×844: papers ticked at pickup, cash confirmed
before a handover, the list grouped by status with its search box, signatures queued offline and synced
with their event exactly once, and axe-core on every courier page (no serious or critical violation)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import expect

from tests.integration.payloads import create_body

pytestmark = pytest.mark.browser
VIEWPORTS = [(1366, 800), (390, 844)]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SHOTS = os.environ.get("POSTAL_SCREENSHOTS")  # a directory to keep screenshots in, for a person to look at
DOCS = [{"name": "Tờ khai đăng ký thường trú", "kind": "original", "count": 1},
        {"name": "Bản sao sổ hộ khẩu", "kind": "copy", "count": 2},
        {"name": "Ảnh 4×6", "kind": "original", "count": 2}]


async def _create(base: str, world, **changes) -> str:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{base}/api/v1/shipments", json=create_body(**changes), headers=world.auth("staff1"))
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["tracking_code"])


async def _signed_in(browser, base: str, size: tuple[int, int], next_path: str, *, bypass_csp: bool = False):
    context = await browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="vi-VN",
                                        bypass_csp=bypass_csp)
    page = await context.new_page()
    await page.goto(f"{base}/login?next={next_path}")
    await page.fill("#username", "courier1")
    await page.fill("#password", "correct-horse-battery")
    await page.click("#login-submit")
    await page.wait_for_url(f"{base}{next_path}")
    return context, page


async def _record(page, event: str) -> None:
    await page.click(f"#action-{event}")
    await page.wait_for_selector("#action-message.ok")
    await page.wait_for_load_state("load")
    await expect(page.locator("#action-message")).to_have_text("")


async def _sign(page) -> None:
    await page.locator("#signature-pad").scroll_into_view_if_needed()  # mouse events only hit what is in view
    box = await page.locator("#signature-pad").bounding_box()
    await page.mouse.move(box["x"] + 20, box["y"] + 30)
    await page.mouse.down()
    await page.mouse.move(box["x"] + 90, box["y"] + 90, steps=5)
    await page.mouse.move(box["x"] + 160, box["y"] + 40, steps=5)
    await page.mouse.up()


async def _shot(page, name: str, size: tuple[int, int]) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)  # Playwright writes the file; the folder must exist
        await page.screenshot(path=f"{SHOTS}/{name}-{size[0]}x{size[1]}.png", full_page=True)


async def _event_details(db, code: str, event: str) -> list[dict]:
    rows = await db.fetch(
        "SELECT e.details::text AS d FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id"
        " WHERE s.tracking_code = $1 AND e.event = $2", code, event)
    return [json.loads(r["d"]) for r in rows]


async def _attachments(db, code: str) -> list[tuple[str, str]]:
    rows = await db.fetch(
        "SELECT a.kind, e.client_event_id::text AS ce FROM scan_attachments a"
        " JOIN shipment_events e ON e.id = a.event_id JOIN shipments s ON s.id = e.shipment_id"
        " WHERE s.tracking_code = $1", code)
    return [(r["kind"], r["ce"]) for r in rows]


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_pickup_papers_ticked_and_recorded(browser, live_server, world, db, size):
    base = str(live_server.make_url("/")).rstrip("/")
    code = await _create(base, world, direction="pickup", **{"dossier.documents": DOCS})
    context, page = await _signed_in(browser, base, size, f"/courier/items/{code}")
    try:
        await page.click("#action-picked_up")
        await expect(page.locator("#pickup-form")).to_be_visible()
        assert await page.locator("input.doc-check").count() == 3
        await expect(page.locator("#docs-summary")).to_contain_text("Đã nhận 0/3")
        await page.locator("input.doc-check").nth(0).check()
        await page.locator("input.doc-check").nth(1).check()
        await expect(page.locator("#docs-summary")).to_contain_text("thiếu 1")
        await _shot(page, "courier-pickup", size)
        assert await page.evaluate("document.documentElement.scrollWidth") <= size[0]
        await page.click("#pickup-form button[type=submit]")
        await page.wait_for_selector("#action-arrived", timeout=10000)  # reloaded with the next actions
        (details,) = await _event_details(db, code, "picked_up")
        assert details["documents_checked"] == [
            {"name": "Tờ khai đăng ký thường trú", "kind": "original", "count": 1, "present": True},
            {"name": "Bản sao sổ hộ khẩu", "kind": "copy", "count": 2, "present": True},
            {"name": "Ảnh 4×6", "kind": "original", "count": 2, "present": False},
        ]
        await expect(page.locator(".timeline")).to_contain_text("Giấy tờ đã nhận: 2/3 (thiếu: Ảnh 4×6)")
    finally:
        await context.close()


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_cod_must_be_confirmed_before_handover(browser, live_server, world, db, size):
    base = str(live_server.make_url("/")).rstrip("/")
    code = await _create(base, world, cod_amount=150000)
    context, page = await _signed_in(browser, base, size, f"/courier/items/{code}")
    try:
        for event in ("picked_up", "out_for_delivery"):
            await _record(page, event)
        await expect(page.locator("#cod-amount")).to_have_text("150.000\u00a0₫")
        await page.click("#action-delivered")
        await expect(page.locator("#cod-box")).to_contain_text("150.000\u00a0₫")
        await page.fill("#verification-value", "2345")
        await page.click("#proof-form button[type=submit]")
        # The required box stops the form: nothing is sent.
        assert await page.locator("#cod-collected").evaluate("el => el.validity.valueMissing")
        assert await _event_details(db, code, "delivered") == []
        await page.check("#cod-collected")
        await _shot(page, "courier-cod", size)
        await page.click("#proof-form button[type=submit]")
        await page.wait_for_selector("#no-actions", timeout=10000)
        (details,) = await _event_details(db, code, "delivered")
        assert details["cod_collected"] is True and details["cod_amount"] == 150000
        await expect(page.locator(".timeline")).to_contain_text("Đã thu hộ 150.000")
    finally:
        await context.close()


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_list_grouped_by_status_and_search(browser, live_server, world, db, size):
    base = str(live_server.make_url("/")).rstrip("/")
    plain = await _create(base, world)
    named = await _create(base, world, **{"citizen.name": "Đặng Văn Khỏe", "citizen.phone": "0987654321"})
    context, page = await _signed_in(browser, base, size, "/courier")
    try:
        groups = page.locator("#work section.group")
        assert await groups.count() >= 1
        await expect(page.locator('section.group[data-status="created"] h3')).to_contain_text("Đã tạo đơn")
        await page.fill("#q", "dang KHOE")      # accents and case ignored, while typing
        await expect(page.locator(f'li[data-code="{named}"]')).to_be_visible()
        await expect(page.locator(f'li[data-code="{plain}"]')).to_be_hidden()
        await expect(page.locator('section.group[data-status="created"] .group-count')).to_have_text("1")
        await expect(page.locator("#visible-count")).to_have_text("1")
        await _shot(page, "courier-list-search", size)
        await page.fill("#q", "zzzz-none")
        await expect(page.locator("#no-match")).to_be_visible()
        await page.fill("#q", "")
        await expect(page.locator(f'li[data-code="{plain}"]')).to_be_visible()
        # Enter submits ?q= (the same search without JavaScript).
        await page.fill("#q", "0987654")
        await page.press("#q", "Enter")
        await page.wait_for_url(f"{base}/courier?q=0987654")
        assert await page.locator("li.item").count() == 1
        assert await page.evaluate("document.documentElement.scrollWidth") <= size[0]
    finally:
        await context.close()


async def test_signature_queued_offline_syncs_with_its_event_once(browser, live_server, world, db):
    base = str(live_server.make_url("/")).rstrip("/")
    code = await _create(base, world)
    size = (390, 844)
    context, page = await _signed_in(browser, base, size, f"/courier/items/{code}")
    try:
        for event in ("picked_up", "out_for_delivery"):
            await _record(page, event)
        await context.set_offline(True)
        await page.click("#action-delivered")
        await _sign(page)
        await page.fill("#verification-value", "2345")
        await page.click("#proof-form button[type=submit]")
        await expect(page.locator("#action-message")).to_contain_text("Đã lưu trên máy")
        await expect(page.locator("#queue-count")).to_have_text("1")
        await expect(page.locator("#attach-count")).to_have_text("1")
        await expect(page.locator("#proof-form")).to_be_hidden()   # the handover cannot be recorded twice
        await _shot(page, "courier-offline-proof", size)
        assert await _event_details(db, code, "delivered") == []

        # A reload while offline keeps both (localStorage and IndexedDB) — served from nowhere, so reopen later.
        await context.set_offline(False)
        await expect(page.locator("#queue-count")).to_have_text("0", timeout=20000)
        await expect(page.locator("#attach-count")).to_have_text("0", timeout=20000)
        (client_event_id,) = [r["ce"] for r in await db.fetch(
            "SELECT e.client_event_id::text AS ce FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id"
            " WHERE s.tracking_code = $1 AND e.event = 'delivered'", code)]
        assert await _attachments(db, code) == [("signature", client_event_id)]
        png = await db.fetchval("SELECT a.data FROM scan_attachments a JOIN shipment_events e ON e.id = a.event_id"
                                " WHERE e.client_event_id::text = $1", client_event_id)
        assert bytes(png).startswith(b"\x89PNG")
        await page.evaluate("window.postalCourier.sync()")  # a second sync sends nothing again
        assert len(await _event_details(db, code, "delivered")) == 1
        assert len(await _attachments(db, code)) == 1
    finally:
        await context.close()


async def test_failed_upload_is_retried_and_the_event_kept(browser, live_server, world, db):
    base = str(live_server.make_url("/")).rstrip("/")
    code = await _create(base, world)
    size = (1366, 800)
    context, page = await _signed_in(browser, base, size, f"/courier/items/{code}")
    try:
        for event in ("picked_up", "out_for_delivery"):
            await _record(page, event)
        failures = []

        async def fail_once(route):
            failures.append(route.request.url)
            await route.abort()

        await page.route("**/attachment*", fail_once)
        await page.click("#action-delivered")
        await _sign(page)
        await page.fill("#verification-value", "2345")
        await page.click("#proof-form button[type=submit]")
        await expect(page.locator("#action-message")).to_contain_text("sẽ được gửi", timeout=10000)
        assert len(await _event_details(db, code, "delivered")) == 1    # the event is stored anyway
        assert await _attachments(db, code) == [] and failures
        await page.unroute("**/attachment*")
        await page.wait_for_selector("#no-actions", timeout=10000)     # the reload syncs what waits
        await expect(page.locator("#attach-count")).to_have_text("0", timeout=20000)
        assert [k for k, _ in await _attachments(db, code)] == ["signature"]
        assert len(await _event_details(db, code, "delivered")) == 1
    finally:
        await context.close()


async def _axe(page) -> list[dict]:
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_courier_pages_pass_axe(browser, live_server, world, db, size):
    """axe-core on the list, the pickup page with its papers, the handover form with COD, the missing page."""
    base = str(live_server.make_url("/")).rstrip("/")
    pickup = await _create(base, world, direction="pickup", **{"dossier.documents": DOCS})
    cod = await _create(base, world, cod_amount=150000)
    # The axe script is injected, so this context alone bypasses the CSP (the pages' own scripts are files).
    context, page = await _signed_in(browser, base, size, "/courier", bypass_csp=True)
    try:
        found = {"list": await _axe(page)}
        await _shot(page, "courier-list", size)
        await page.goto(f"{base}/courier/items/{pickup}")
        await page.click("#action-picked_up")
        found["pickup"] = await _axe(page)
        await page.goto(f"{base}/courier/items/{cod}")
        for event in ("picked_up", "out_for_delivery"):
            await _record(page, event)
        await page.click("#action-delivered")
        found["handover"] = await _axe(page)
        await _shot(page, "courier-handover", size)
        await page.click("#action-delivery_failed")
        found["failed"] = await _axe(page)
        await page.goto(f"{base}/courier/items/RA000000000VN")
        found["missing"] = await _axe(page)
        assert found == {k: [] for k in found}, found
    finally:
        await context.close()
