"""The citizen page in headless Chromium: a 360 × 740 phone, no horizontal overflow, the form without JavaScript."""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from playwright.async_api import Page

from postal.domain.signing import sign_code
from tests.conftest import World
from tests.integration import tracking_support as ts

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


async def _shipment(base: str, world: World, db: asyncpg.Connection, direction: str = "delivery",
                    path: str = "out_for_delivery") -> str:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{base}/api/v1/shipments", json=ts.body(direction), headers=world.auth("staff1"))
        assert resp.status == 201, await resp.text()
        code = (await resp.json())["tracking_code"]
    await ts.move(db, code, ts.PATHS[path])
    return str(code)


def _shots(tmp_path: Path) -> Path:
    """Where screenshots go (POSTAL_SCREENSHOTS to keep them)."""
    target = Path(os.environ.get("POSTAL_SCREENSHOTS", tmp_path))
    target.mkdir(parents=True, exist_ok=True)
    return target


async def _no_overflow(page: Page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_page_fits_a_phone(browser, live_server, world, db, tmp_path, lang):
    base = str(live_server.make_url("")).rstrip("/")
    code = await _shipment(base, world, db)
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = await context.new_page()
    resp = await page.goto(f"{base}/t/{code}" + ("?lang=en" if lang == "en" else ""))
    assert resp is not None and resp.status == 200
    assert await page.get_attribute("html", "lang") == lang
    await _no_overflow(page)
    shot = _shots(tmp_path) / f"citizen-track-{lang}.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    heading = await page.inner_text("h1")
    assert heading == ("Bưu tá đang đi phát" if lang == "vi" else "Out for delivery")
    await context.close()


async def test_qr_landing_and_other_pages_fit_a_phone(browser, live_server, world, db, tmp_path):
    base = str(live_server.make_url("")).rstrip("/")
    code = await _shipment(base, world, db, "pickup", "delivered")
    sig = sign_code(code, b"test-secret-key-not-for-production")
    context = await browser.new_context(viewport=PHONE, is_mobile=True)
    page = await context.new_page()
    for name, path in (("qr", f"/q/{code}.{sig}"), ("home", "/"), ("not-found", "/t/RA000000000VN")):
        await page.goto(base + path)
        await _no_overflow(page)
        await page.screenshot(path=str(_shots(tmp_path) / f"citizen-{name}.png"), full_page=True)
    await page.goto(f"{base}/q/{code}.{sig}")
    assert ts.MASKED in await page.inner_text("main")
    await context.close()


async def test_phone4_form_works_without_javascript(browser, live_server, world, db):
    base = str(live_server.make_url("")).rstrip("/")
    code = await _shipment(base, world, db)
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{base}/t/{code}")
    await page.fill("#phone4", "0000")
    await page.click("form.citizen-form button[type=submit]")
    await page.wait_for_load_state()
    assert "không khớp" in await page.inner_text("main")
    await page.fill("#phone4", ts.PHONE4)
    await page.click("form.citizen-form button[type=submit]")
    await page.wait_for_load_state()
    main = await page.inner_text("main")
    assert ts.MASKED in main and "Phường Vĩnh Yên" in main
    assert ts.leaks(await page.content()) == []
    await _no_overflow(page)
    await context.close()


async def test_search_form_works_without_javascript(browser, live_server, world, db):
    base = str(live_server.make_url("")).rstrip("/")
    code = await _shipment(base, world, db)
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{base}/")
    await page.fill("#code", f"{code[:2].lower()} {code[2:]}")
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    assert page.url.endswith(f"/t/{code}")
    assert await page.inner_text("h1") == "Bưu tá đang đi phát"
    await context.close()
