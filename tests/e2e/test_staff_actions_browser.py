"""Issue 14's staff console in headless Chromium at 1366×800 and 390×844: proof of delivery with its
signature thumbnail, each action (cancel, return, new date, unlock) with its confirmation box and result,
the ward type-ahead, the manifest list and void, and axe-core (no serious or critical violation) on each
staff page. Set POSTAL_SCREENSHOTS=<dir> to keep screenshots."""

from __future__ import annotations

import io
import json
import os

import aiohttp
import pytest
from PIL import Image

from tests.integration.payloads import create_body
from tests.integration.scan_helpers import delivery_proof, scan_body

from .axe import serious_violations

pytestmark = pytest.mark.browser
VIEWPORTS = [(1366, 800), (390, 844)]


async def shot(page, name: str, width: int) -> None:
    target = os.environ.get("POSTAL_SCREENSHOTS")
    if target:
        await page.screenshot(path=os.path.join(target, f"{name}-{width}.png"), full_page=True)


class Api:
    """The live server's API with the test world's tokens."""

    def __init__(self, session: aiohttp.ClientSession, base: str, world) -> None:
        self.session, self.base, self.world = session, base, world

    async def call(self, method: str, path: str, who: str = "staff1", headers: dict | None = None, **kw):
        headers = {**self.world.auth(who), **(headers or {})}
        async with self.session.request(method, self.base + path, headers=headers, **kw) as resp:
            body = await resp.read()
            assert resp.status < 300, body[:500]
            return body

    async def create(self, **changes) -> str:
        return json.loads(await self.call("POST", "/api/v1/shipments", json=create_body(**changes)))["tracking_code"]

    async def scan(self, code: str, event: str, offset: float, **extra) -> dict:
        body = scan_body(code, event, offset, **extra)
        await self.call("POST", "/api/v1/scans", who="courier1", json=body)
        return body


def _png() -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", (120, 60), "white")
    img.paste((20, 20, 120), (10, 25, 110, 32))
    img.save(out, "PNG")
    return out.getvalue()


async def _setup(api: Api, db) -> dict[str, str]:
    """A delivered shipment with proof and signature, a picked-up one, a created one, a locked one."""
    codes = {name: await api.create() for name in ("delivered", "taken", "fresh", "locked", "listed")}
    await db.execute("UPDATE shipments SET created_at = now() - interval '1 day'")
    for name in ("delivered", "taken", "locked"):
        await api.scan(codes[name], "picked_up", -120)
    for name in ("delivered", "locked"):
        await api.scan(codes[name], "out_for_delivery", -110)
    proof = delivery_proof(relationship="authorized", authorization_number="UQ-17", recipient_name="Trần Văn Bình")
    body = await api.scan(codes["delivered"], "delivered", -100, proof=proof, note="Giao tại quầy")
    await api.call("POST", f"/api/v1/scans/{body['client_event_id']}/attachment?kind=signature", who="courier1",
                   data=_png(), headers={"Content-Type": "image/png"})
    await db.execute("UPDATE shipments SET verification_failures = 5 WHERE tracking_code = $1", codes["locked"])
    return codes


async def _axe_clean(page, name: str) -> None:
    assert await serious_violations(page) == [], name


async def _confirm_and_submit(page, form: str) -> None:
    await page.check(f"{form} input[name=confirm]")
    await page.click(f"{form} button[type=submit]")
    await page.wait_for_selector("#action-done")


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
async def test_staff_actions_in_the_browser(browser, live_server, world, db, width, height):
    base = str(live_server.make_url("/")).rstrip("/")
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN",
                                        bypass_csp=True)
    page = await context.new_page()
    async with aiohttp.ClientSession() as session:
        api = Api(session, base, world)
        codes = await _setup(api, db)
        try:
            await page.goto(f"{base}/staff")
            await page.fill("#username", "staff1")
            await page.fill("#password", "correct-horse-battery")
            await page.click("#login-submit")
            await page.wait_for_url(f"{base}/staff")
            await _axe_clean(page, "list")

            # Proof of delivery: recipient, authorisation, method, note, the signature thumbnail loads.
            await page.goto(f"{base}/staff/shipments/{codes['delivered']}")
            proof = await page.inner_text("#proof")
            assert "Trần Văn Bình" in proof and "UQ-17" in proof and "4 số cuối CCCD" in proof
            assert "Giao tại quầy" in proof and "2345" not in proof
            await page.wait_for_function("document.querySelector('#proof img.thumb').naturalWidth > 0")
            await shot(page, "staff-proof", width)
            await _axe_clean(page, "detail with proof")

            # Cancel: the box must be ticked (the browser's required check), then the result is shown.
            await page.goto(f"{base}/staff/shipments/{codes['fresh']}")
            await page.click("#cancel-button")
            assert page.url.endswith(codes["fresh"])  # not sent: the checkbox is required
            await _confirm_and_submit(page, "#cancel-form")
            assert "Đã huỷ đơn" in await page.inner_text("#action-done")
            await _axe_clean(page, "detail after cancel")

            # Return with a reason.
            await page.goto(f"{base}/staff/shipments/{codes['taken']}")
            await page.fill("#return-reason", "Công dân nhận tại quầy")
            await _confirm_and_submit(page, "#return-form")
            assert "chuyển hoàn" in await page.inner_text("#action-done")

            # Unlock, then a new date in dd/mm/yyyy.
            await page.goto(f"{base}/staff/shipments/{codes['locked']}")
            await shot(page, "staff-actions", width)
            await _axe_clean(page, "detail with actions")
            await _confirm_and_submit(page, "#unlock-form")
            assert await page.locator("#unlock-form").count() == 0
            new = await db.fetchval("SELECT to_char(current_date + 15, 'DD/MM/YYYY')")
            await page.fill("#new-date", new)
            await page.fill("#reschedule-reason", "Chờ xác minh thêm")
            await _confirm_and_submit(page, "#reschedule-form")
            assert new in await page.inner_text("#timeline")

            # Ward type-ahead on the create form sets the province, the ward and the code box.
            await page.goto(f"{base}/staff/new")
            await page.select_option("#province", "01")
            await page.fill("#ward-search", "vinh yen")
            option = page.locator("#ward-options option").first
            await option.wait_for(state="attached")
            await page.fill("#ward-search", await option.get_attribute("value"))
            await page.wait_for_function("document.getElementById('ward').value === '08707'")
            assert await page.input_value("#province") == "25"
            assert await page.input_value("#ward-manual") == "08707"
            await shot(page, "staff-new-ward-search", width)
            await _axe_clean(page, "create form")

            # Manifest: made from the list, marked there, listed, voided, and the item is free again.
            await page.goto(f"{base}/staff")
            await page.locator(f'li[data-code="{codes["listed"]}"] input.pick').check()
            await page.click("#manifest-selected")
            await page.wait_for_selector("#void-form")
            await _axe_clean(page, "manifest")
            await page.goto(f"{base}/staff")
            row = page.locator(f'li[data-code="{codes["listed"]}"]')
            assert await row.locator("input.pick").count() == 0 and "Trong bảng kê" in await row.inner_text()
            await shot(page, "staff-list-marks", width)
            await page.goto(f"{base}/staff/manifests")
            await shot(page, "staff-manifests", width)
            await _axe_clean(page, "manifest list")
            await page.click("#manifests a.code")
            await page.fill("#void-reason", "Lập nhầm")
            await _confirm_and_submit(page, "#void-form")
            assert "Lập nhầm" in await page.inner_text("#voided")
            await page.goto(f"{base}/staff")
            assert await page.locator(f'li[data-code="{codes["listed"]}"] input.pick').count() == 1
            await page.goto(f"{base}/staff/reports")
            await _axe_clean(page, "reports")
            assert await page.evaluate("document.documentElement.scrollWidth") <= width
        finally:
            await context.close()
