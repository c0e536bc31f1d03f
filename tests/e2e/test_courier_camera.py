"""The courier page on browsers without ``BarcodeDetector`` (iPhone Safari, Firefox, desktop Chrome).

"Quét bằng camera" opens the photo fallback (the file input with capture); a photo of a real printed
slip is decoded by the server and opens the item. The offline-sync bar is hidden while nothing is
queued and the device is online, and when it shows it covers no content.
"""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, Page

from tests.conftest import World
from tests.e2e.labels_raster import rasterize
from tests.integration.payloads import create_body

pytestmark = pytest.mark.browser
NO_DETECTOR = "delete window.BarcodeDetector; delete Window.prototype.BarcodeDetector;"
SHOTS = os.environ.get("POSTAL_SCREENSHOTS")  # a directory to keep screenshots in, for a person to look at


async def _slip_photo(base: str, world: World, tmp_path: Path) -> tuple[str, Path]:
    """A new shipment and a 200 dpi PNG of its printed A6 slip, as a phone photo stands in."""
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{base}/api/v1/shipments", json=create_body(), headers=world.auth("staff1"))
        assert resp.status == 201, await resp.text()
        code = str((await resp.json())["tracking_code"])
        resp = await http.get(f"{base}/api/v1/shipments/{code}/label.pdf", headers=world.auth("staff1"))
        assert resp.status == 200
        (page,) = rasterize(await resp.read(), 200)
    photo = tmp_path / "slip.png"
    page.save(photo)
    return code, photo


async def _signed_in_page(browser: Browser, base: str, width: int, height: int) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    await context.add_init_script(NO_DETECTOR)
    page = await context.new_page()
    await page.goto(f"{base}/login?next=/courier")
    await page.fill("#username", "courier1")
    await page.fill("#password", "correct-horse-battery")
    await page.click("#login-submit")
    await page.wait_for_url(f"{base}/courier")
    return context, page


def _shots_dir() -> Path:
    path = Path(str(SHOTS))
    path.mkdir(parents=True, exist_ok=True)
    return path


async def _shot(page: Page, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(_shots_dir() / name), full_page=True)


async def test_camera_button_opens_the_photo_fallback_and_a_slip_photo_opens_the_item(
    browser, live_server, world, tmp_path
):
    base = str(live_server.make_url("/")).rstrip("/")
    code, photo = await _slip_photo(base, world, tmp_path)
    context, page = await _signed_in_page(browser, base, 360, 740)
    try:
        assert await page.evaluate("'BarcodeDetector' in window") is False
        camera = page.locator("#camera-start")
        assert await camera.is_visible() and await camera.inner_text() == "Quét bằng camera"
        assert not await page.locator("#sync-bar").is_visible()  # nothing queued, online
        assert await page.evaluate("getComputedStyle(document.body).paddingBottom") == "0px"
        await _shot(page, "courier-360-no-detector.png")

        async with page.expect_file_chooser() as chooser_info:
            await camera.click()
        chooser = await chooser_info.value
        assert not chooser.is_multiple()
        assert await chooser.element.get_attribute("capture") == "environment"
        await chooser.set_files(str(photo))
        await page.wait_for_url(f"{base}/courier/items/{code}", timeout=15000)
        assert await page.locator("button.action").all_inner_texts() == ["Bưu tá nhận bưu gửi"]
    finally:
        await context.close()


async def test_an_unreadable_photo_says_so_in_vietnamese(browser, live_server, world, tmp_path):
    from PIL import Image

    base = str(live_server.make_url("/")).rstrip("/")
    blank = tmp_path / "blank.png"
    Image.new("L", (400, 300), 255).save(blank)
    context, page = await _signed_in_page(browser, base, 360, 740)
    try:
        async with page.expect_file_chooser() as chooser_info:
            await page.click("#camera-start")
        await (await chooser_info.value).set_files(str(blank))
        await page.wait_for_selector("#scan-message.error")
        assert "Không đọc được mã trong ảnh" in await page.inner_text("#scan-message")
        assert page.url == f"{base}/courier"
    finally:
        await context.close()


@pytest.mark.parametrize("size", [(360, 740), (1280, 800)])
async def test_sync_bar_shows_only_with_a_queue_or_offline_and_covers_nothing(browser, live_server, world, size):
    base = str(live_server.make_url("/")).rstrip("/")
    context, page = await _signed_in_page(browser, base, *size)
    bar = page.locator("#sync-bar")
    try:
        assert not await bar.is_visible()
        await _shot(page, f"courier-{size[0]}-online.png")

        await context.set_offline(True)
        await page.wait_for_function("!document.getElementById('sync-bar').hidden")
        assert await bar.is_visible()
        assert "Mất mạng" in await bar.inner_text()
        # Scrolled to the end, the last content ends above the bar: nothing is under it.
        await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        bar_top = await page.evaluate("document.getElementById('sync-bar').getBoundingClientRect().top")
        content_bottom = await page.evaluate(
            "Math.max(...[...document.querySelectorAll('main, footer.foot')]"
            ".map(e => e.getBoundingClientRect().bottom))")
        assert content_bottom <= bar_top + 0.5, (content_bottom, bar_top)
        await _shot(page, f"courier-{size[0]}-offline.png")

        await context.set_offline(False)
        await page.wait_for_function("document.getElementById('sync-bar').hidden")
        assert not await bar.is_visible()
        assert await page.evaluate("getComputedStyle(document.body).paddingBottom") == "0px"
    finally:
        await context.close()
