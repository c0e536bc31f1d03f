"""The staff detail page: the citizen's message log and the re-send button (session + CSRF)."""

from __future__ import annotations

from postal.store.database import create_pool
from tests.integration.notify_support import pump
from tests.integration.page_checks import CSRF_TEXT
from tests.integration.page_checks import refused as page_refused
from tests.integration.scan_helpers import create_shipment, walk
from tests.integration.test_staff_pages import login


async def test_detail_shows_the_message_log_and_resends_the_code(client, world, settings, dsn, db, caplog):
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery"])
    pool = await create_pool(dsn, settings)
    try:
        await pump(pool, settings)
        csrf = await login(client)
        html = await (await client.get(f"/staff/shipments/{code}")).text()
        assert "Tin nhắn gửi công dân" in html and "Mã xác nhận giao nhận" in html and "đã gửi qua log" in html
        otp = await db.fetchval("SELECT text_masked FROM notifications")
        assert "••••••" in otp
        assert 'id="resend-otp"' in html and "0912345678" not in html.split('id="notifications"')[1]
        refused = await client.post(f"/staff/shipments/{code}/otp/resend", data={"csrf_token": "wrong"},
                                    allow_redirects=False)
        await page_refused(refused, CSRF_TEXT, back="/staff")
        too_soon = await client.post(f"/staff/shipments/{code}/otp/resend", data={"csrf_token": csrf},
                                     allow_redirects=False)
        assert too_soon.status == 429 and "đợi" in await too_soon.text()
        await db.execute("UPDATE outbox SET created_at = now() - interval '2 minutes'")
        resent = await client.post(f"/staff/shipments/{code}/otp/resend", data={"csrf_token": csrf},
                                   allow_redirects=False)
        assert resent.status == 303 and resent.headers["Location"].endswith("?resent=1")
        assert await pump(pool, settings) == 1
        html = await (await client.get(resent.headers["Location"])).text()
        assert 'id="resent"' in html and html.count("Mã xác nhận giao nhận") == 2
    finally:
        await pool.close()
