"""Every page family under its Content-Security-Policy in Chromium: no violation, no failed request, the
error page a person meets, and the favicon instead of a 404."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import Page

from tests.integration.payloads import create_body

pytestmark = pytest.mark.browser
# Runs before the page's own scripts, outside its CSP (Playwright injects it through the DevTools protocol).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


async def _sign_in(page: Page, base: str, username: str, home: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("#username", username)
    await page.fill("#password", "correct-horse-battery")
    await page.click("#login-submit")
    await page.wait_for_url(f"{base}{home}")


async def test_pages_run_under_their_policy_without_violations(browser, live_server, world):
    base = str(live_server.make_url("/")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{base}/api/v1/shipments", json=create_body(), headers=world.auth("staff1"))
        code = (await resp.json())["tracking_code"]
    context = await browser.new_context(viewport={"width": 360, "height": 740})
    await context.add_init_script(RECORD_VIOLATIONS)
    page = await context.new_page()
    console: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    visited: list[str] = []

    async def visit(path: str) -> None:
        await page.goto(f"{base}{path}")
        await page.wait_for_load_state("networkidle")
        visited.append(path)
        assert await page.evaluate("window.__violations") == [], path

    try:
        for path in ("/", f"/t/{code}", "/login"):
            await visit(path)
        await _sign_in(page, base, "staff1", "/staff")
        for path in ("/staff", "/staff/new", f"/staff/shipments/{code}"):
            await visit(path)
        await page.goto(f"{base}/staff/new")
        await page.select_option("#province", "25")  # staff.js fetches the wards: a script at work
        await page.select_option("#ward", label="Phường Vĩnh Yên")
        assert await page.evaluate("window.__violations") == []
        await page.goto(f"{base}/courier")  # a refusal: the Vietnamese page with its way back
        assert await page.locator("#error-title").inner_text() == "Không có quyền"
        await page.click("#error-back")
        await page.wait_for_url(f"{base}/staff")
        await page.context.clear_cookies()
        await _sign_in(page, base, "courier1", "/courier")
        for path in ("/courier", f"/courier/items/{code}"):
            await visit(path)
        await page.click("#action-picked_up")  # courier.js posts to the API under the policy
        await page.wait_for_selector("#action-message.ok")
        assert await page.evaluate("window.__violations") == []
    finally:
        await context.close()
    assert not [m for m in console if "Content Security Policy" in m], console
    expected = [f for f in failed if f.endswith("/courier")]  # the staff user's refusal above (403)
    assert failed == expected and len(expected) == 1, failed
