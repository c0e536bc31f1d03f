"""Citizen notifications end to end: fake ZNS and SMS providers, the real outbox, workers and scans API."""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpServer

from postal.settings import Settings
from postal.workers import HANDLERS, notify
from postal.workers.outbox import dispatch_once
from tests.conftest import World
from tests.integration.notify_support import Providers, provider_settings, pump, worker_pool
from tests.integration.scan_helpers import create_shipment, delivery_proof, scan, scan_body, walk

NAME, PHONE, ID_NUMBER = "Nguyễn Thị Hồng Nhung", "0912345678", "001199012345"
STREET = "Số 12 ngõ 3 đường Hùng Vương"


@pytest.fixture
async def providers(aiohttp_server: AiohttpServer) -> Providers:
    fake = Providers()
    server = await aiohttp_server(fake.app())
    fake.base = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def pool(dsn: str, settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await worker_pool(dsn, settings)
    yield pool
    await pool.close()


def assert_no_personal_data(text: str) -> None:
    for secret in (NAME, "Nhung", PHONE, "912345678", ID_NUMBER, "Hùng Vương"):
        assert secret not in text, secret


async def deliver_with_code(client: TestClient, world: World, code: str, otp: str) -> ClientResponse:
    body = scan_body(code, "delivered", proof=delivery_proof(otp, method="otp"))
    return await scan(client, world, body)


async def test_otp_by_zalo_delivers_the_shipment(client, world, providers, pool, settings, db):
    cfg = provider_settings(settings, providers.base, "zns,sms")
    code = await create_shipment(client, world, **{"citizen.id_number": None})
    await walk(client, world, code, ["picked_up", "arrived", "out_for_delivery"])
    assert await pump(pool, cfg) == 1
    assert len(providers.zns) == 1 and providers.sms == []
    message = providers.zns[0]
    assert message["phone"] == "84912345678" and message["template_id"] == "301"
    assert message["template_data"]["tracking_code"] == code
    assert message["template_data"]["tracking_url"] == f"http://postal.test/t/{code}"
    assert_no_personal_data(json.dumps(message["template_data"], ensure_ascii=False))
    assert await pump(pool, cfg) == 0  # nothing twice
    otp = providers.otps()[0]
    assert (await deliver_with_code(client, world, code, "000000" if otp != "000000" else "111111")).status == 422
    resp = await deliver_with_code(client, world, code, otp)
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["status"] == "delivered"
    assert await pump(pool, cfg) == 1  # the "delivered" message
    assert [m["template_id"] for m in providers.zns] == ["301", "303"]
    assert await db.fetchval("SELECT count(*) FROM notifications WHERE secret IS NOT NULL") == 0
    outbox = await db.fetch("SELECT payload::text FROM outbox WHERE topic = 'notification.otp'")
    assert all(otp not in r["payload"] for r in outbox)  # the clear code left the outbox once queued


async def test_zns_refusing_the_phone_falls_back_to_sms(client, world, providers, pool, settings):
    providers.zns_error = -108
    cfg = provider_settings(settings, providers.base, "zns,sms")
    code = await create_shipment(client, world, **{"citizen.id_number": None})
    await walk(client, world, code, ["picked_up", "out_for_delivery"])
    assert await pump(pool, cfg) == 2  # zns refused, then sms at once
    assert len(providers.zns) == 1 and len(providers.sms) == 1
    sms = providers.sms[0]
    assert sms["to"] == "84912345678" and providers.sms_auth == ["Bearer sms-secret"]
    assert len(sms["text"]) <= 160 and sms["text"].isascii() and code in sms["text"]
    assert_no_personal_data(sms["text"])
    resp = await deliver_with_code(client, world, code, providers.otps()[-1])
    assert resp.status == 201, await resp.text()
    tries = (await (await client.get(f"/api/v1/shipments/{code}/notifications",
                                     headers=world.auth("staff1"))).json())["items"][-1]["tries"]
    assert [(t["channel"], t["outcome"]) for t in tries] == [("zns", "refused"), ("sms", "sent")]


async def test_an_expired_zalo_token_is_refreshed_once_and_kept(client, world, providers, pool, settings, db):
    providers.valid_token = "zns-token-fresh-only"  # the configured token is refused with -216
    cfg = provider_settings(settings, providers.base, "zns")
    code = await create_shipment(client, world, **{"citizen.id_number": None})
    await walk(client, world, code, ["picked_up", "out_for_delivery"])
    assert await pump(pool, cfg) == 1
    assert providers.refreshes == [{"refresh_token": "rt-0", "app_id": "app-1", "grant_type": "refresh_token",
                                    "secret_key": "app-secret"}]
    assert len(providers.zns) == 1 and providers.zns_headers[0]["access_token"] == "zns-token-2"
    stored = await db.fetchrow("SELECT access_token, refresh_token FROM provider_tokens WHERE name = 'zns'")
    assert tuple(stored) == ("zns-token-2", "rt-1")  # the single-use refresh token was replaced
    await walk(client, world, code, [])
    assert (await deliver_with_code(client, world, code, providers.otps()[0])).status == 201
    assert await pump(pool, cfg) == 1
    assert len(providers.refreshes) == 1 and len(providers.zns) == 2  # the stored token is reused


async def test_two_workers_send_each_message_once(client, world, providers, dsn, settings, db):
    cfg = provider_settings(settings, providers.base, "sms")
    codes = []
    for i in range(25):
        code = await create_shipment(client, world, **{"dossier.code": f"000.00.15.H62-260315-{2000 + i}"})
        await walk(client, world, code, ["picked_up", "out_for_delivery"])
        codes.append(code)
    pools = [await worker_pool(dsn, settings) for _ in range(2)]
    try:
        # each outbox row dispatched twice over (both workers race), then both senders race
        await asyncio.gather(*(dispatch_once(p, HANDLERS, batch=5) for p in pools for _ in range(6)))
        await asyncio.gather(*(pump(p, cfg) for p in pools))
    finally:
        for p in pools:
            await p.close()
    per_code = collections.Counter(next(c for c in codes if c in m["text"]) for m in providers.sms)
    assert per_code == collections.Counter(codes)
    assert len({m["id"] for m in providers.sms}) == 25
    assert await db.fetchval("SELECT count(*) FROM notifications WHERE status = 'sent'") == 25


async def test_transient_failures_wait_for_retry_after_then_send_once(client, world, providers, pool, settings, db):
    providers.sms_status = [503]
    providers.sms_retry_after = "120"
    cfg = provider_settings(settings, providers.base, "sms")
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery"])
    assert await pump(pool, cfg) == 1
    row = await db.fetchrow("SELECT status, channel_tries, extract(epoch FROM available_at - now()) AS wait"
                            " FROM notifications")
    assert row["status"] == "pending" and row["channel_tries"] == 1 and 110 < row["wait"] <= 121
    assert await pump(pool, cfg) == 0 and providers.sms == []  # not before Retry-After
    await db.execute("UPDATE notifications SET available_at = now()")
    assert await pump(pool, cfg) == 1
    assert len(providers.sms) == 1
    resp = await deliver_with_code(client, world, code, providers.otps()[0])
    assert resp.status == 201


async def test_staff_resend_makes_a_new_code_and_voids_the_old(client, world, providers, pool, settings, db):
    cfg = provider_settings(settings, providers.base, "sms")
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery"])
    await pump(pool, cfg)
    first = providers.otps()[0]
    url = f"/api/v1/shipments/{code}/otp/resend"
    assert (await client.post(url, headers=world.auth("courier1"))).status == 403
    assert (await client.post(url, headers=world.auth("staff2"))).status == 404
    await db.execute("UPDATE outbox SET created_at = now() - interval '2 minutes'")
    resp = await client.post(url, headers=world.auth("staff1"))
    assert resp.status == 202, await resp.text()
    answer = await resp.text()
    assert first not in answer and "otp" not in json.loads(answer)
    again = await client.post(url, headers=world.auth("staff1"))
    assert again.status == 429 and int(again.headers["Retry-After"]) > 0
    assert await pump(pool, cfg) == 1
    assert len(providers.otps()) == 2
    second = providers.otps()[1]
    assert (await deliver_with_code(client, world, code, first)).status == 422 or first == second
    assert (await deliver_with_code(client, world, code, second)).status == 201
    assert (await client.post(url, headers=world.auth("staff1"))).status == 409  # delivered: no code any more


async def test_a_code_replaced_before_it_was_sent_is_never_sent(client, world, providers, pool, settings, db):
    cfg = provider_settings(settings, providers.base, "sms")
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery"])
    while await dispatch_once(pool, HANDLERS):
        pass
    await db.execute("UPDATE outbox SET created_at = now() - interval '2 minutes'")
    assert (await client.post(f"/api/v1/shipments/{code}/otp/resend", headers=world.auth("staff1"))).status == 202
    assert await pump(pool, cfg) == 2
    assert len(providers.sms) == 1  # only the valid code went out
    statuses = await db.fetch("SELECT status FROM notifications ORDER BY id")
    assert [r["status"] for r in statuses] == ["skipped", "sent"]
    assert (await deliver_with_code(client, world, code, providers.otps()[0])).status == 201


async def test_every_kind_in_vietnamese_with_the_log_channel(client, world, pool, settings, db, caplog):
    caplog.set_level(logging.INFO, logger="postal.notify")
    pickup = await create_shipment(client, world, direction="pickup",
                                   **{"dossier.code": "000.00.15.H62-260315-0100"})
    await walk(client, world, pickup, ["picked_up"])
    failed = await create_shipment(client, world, **{"dossier.code": "000.00.15.H62-260315-0101"})
    await walk(client, world, failed, ["picked_up", "out_for_delivery", "delivery_failed"])
    late = await create_shipment(client, world, **{"dossier.code": "000.00.15.H62-260315-0102",
                                                   "dossier.appointment_date": "2020-01-02"})
    await pump(pool, settings)
    from postal.services import overdue
    from postal.services.views import Clock

    assert await overdue.notify_all_overdue(pool, Clock(settings)) >= 1
    assert await overdue.notify_all_overdue(pool, Clock(settings)) == 0  # once per due date
    await pump(pool, settings)
    logged = [r for r in caplog.records if r.getMessage() == "tin nhắn cho công dân"]
    by_kind = {(r.kind, r.tracking_code): r.text for r in logged}
    assert "Bưu điện đã nhận hồ sơ" in by_kind[("picked_up", pickup)]
    assert "người nhận vắng nhà" in by_kind[("delivery_failed", failed)]
    assert "hẹn giao lại" in by_kind[("delivery_failed", failed)]
    assert "02/01/2020" in by_kind[("late", late)]
    assert ("otp", failed) in by_kind
    for record in logged:
        assert record.phone == "091****678"
        assert_no_personal_data(json.dumps(record.__dict__, ensure_ascii=False, default=str))
        assert f"/t/{record.tracking_code}" in record.text
    log = await client.get(f"/api/v1/shipments/{failed}/notifications", headers=world.auth("staff1"))
    body = await log.text()
    assert log.status == 200
    kinds = [i["kind"] for i in json.loads(body)["items"]]
    assert sorted(kinds) == ["delivery_failed", "otp"]
    otp_text = by_kind[("otp", failed)]
    otp = otp_text.split(": ")[1][:6]
    assert otp not in body and PHONE not in body
    assert (await client.get(f"/api/v1/shipments/{failed}/notifications",
                             headers=world.auth("staff2"))).status == 404
    assert (await client.get(f"/api/v1/shipments/{failed}/notifications",
                             headers=world.auth("courier1"))).status == 403


async def test_a_replayed_outbox_row_never_makes_a_second_message(client, world, pool, settings, db):
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery", "delivery_failed"])
    await pump(pool, settings)
    await db.execute("UPDATE outbox SET processed_at = NULL WHERE topic LIKE 'notification.%'")
    await pump(pool, settings)
    assert await db.fetchval("SELECT count(*) FROM notifications") == 2
    assert await db.fetchval("SELECT count(*) FROM notification_attempts WHERE outcome = 'sent'") == 2


async def test_serve_workers_send_in_process(client, world, settings, db):
    """The sender loop as ``postal serve``/``postal worker`` run it."""
    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery"])
    pool = await worker_pool(str(settings.database_url), settings)
    try:
        async with notify.client_session(settings) as session:
            tasks = [asyncio.create_task(notify.run(pool, settings, session, idle_seconds=0.05))]
            while await dispatch_once(pool, HANDLERS):
                pass
            for _ in range(100):
                if await db.fetchval("SELECT count(*) FROM notifications WHERE status = 'sent'"):
                    break
                await asyncio.sleep(0.05)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await pool.close()
    assert await db.fetchval("SELECT kind FROM notifications WHERE status = 'sent'") == "otp"


async def test_cli_lists_the_last_messages_masked(client, world, pool, settings, db):
    from tests.integration.test_cli import postal

    code = await create_shipment(client, world)
    await walk(client, world, code, ["picked_up", "out_for_delivery"])
    await pump(pool, settings)
    otp = await db.fetchval("SELECT payload::text FROM outbox WHERE topic = 'notification.otp'")
    out = postal(settings, "notifications", "--limit", "5")
    assert out.returncode == 0, out.stderr
    assert code in out.stdout and "091****678" in out.stdout and "••••••" in out.stdout
    assert PHONE not in out.stdout and '"otp":' not in otp  # the code is gone from the outbox too
    assert postal(settings, "notifications", "--limit", "0").returncode == 2


async def test_demo_sends_its_messages_to_the_log_channel(settings, pool, db):
    from tests.integration.test_cli import postal

    demo = postal(settings, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "postal notifications" in demo.stdout and "kênh log" in demo.stdout
    assert await pump(pool, settings) > 0
    kinds = {r["kind"] for r in await db.fetch("SELECT kind FROM notifications WHERE status = 'sent'")}
    assert {"otp", "delivered", "delivery_failed", "picked_up"} <= kinds
    listing = postal(settings, "notifications", "--limit", "3").stdout
    assert len(listing.strip().splitlines()) == 4
