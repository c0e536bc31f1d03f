"""The Zalo OA chatbot through the real webhook, PostgreSQL, outbox and a fake OA API (SPEC §12)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from postal.app import create_app
from postal.store.database import create_pool
from tests.integration.scan_helpers import create_shipment, scan, scan_body
from tests.integration.zalo_support import (
    OA_TOKEN,
    FakeOA,
    event,
    post_event,
    pump,
    signature,
    zalo_settings,
)


@pytest.fixture
async def oa(aiohttp_server) -> Any:
    fake = FakeOA()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
    return fake


@pytest.fixture
def zsettings(settings, oa):
    return zalo_settings(settings, oa.url)


@pytest.fixture
async def zclient(aiohttp_client, zsettings):
    return await aiohttp_client(await create_app(zsettings))


@pytest.fixture
async def pool(dsn, zsettings):
    p = await create_pool(dsn, zsettings)
    yield p
    await p.close()


async def _events(world: Any) -> int:
    return int(await world.db.fetchval("SELECT count(*) FROM zalo_events"))


# ---------------------------------------------------------------------------
# Signature


async def test_signed_event_is_accepted_and_others_are_401(zclient, world) -> None:
    raw, ts = event("xin chào")
    good = signature(raw, ts)
    ok = await zclient.post("/api/v1/zalo/events", data=raw, headers={"X-ZEvent-Signature": good})
    assert ok.status == 200 and (await ok.json()) == {"received": True}
    refusals = [
        {"X-ZEvent-Signature": signature(raw, ts, secret="wrong-secret")},
        {"X-ZEvent-Signature": good.replace("mac=", "")},
        {"X-ZEvent-Signature": "mac=" + "0" * 64},
        {},
    ]
    raw2, ts2 = event("xin chào")
    for headers in refusals:
        resp = await zclient.post("/api/v1/zalo/events", data=raw2, headers=headers)
        assert resp.status == 401, headers
        assert resp.content_type == "application/problem+json"
    tampered = raw2.replace("xin chào".encode(), b"RA000000015VN")
    resp = await zclient.post("/api/v1/zalo/events", data=tampered,
                              headers={"X-ZEvent-Signature": signature(raw2, ts2)})
    assert resp.status == 401
    stale_raw, stale_ts = event("xin chào", stamp=int((time.time() - 600) * 1000))
    resp = await zclient.post("/api/v1/zalo/events", data=stale_raw,
                              headers={"X-ZEvent-Signature": signature(stale_raw, stale_ts)})
    assert resp.status == 401
    resp = await zclient.post("/api/v1/zalo/events", data=b"not json", headers={"X-ZEvent-Signature": good})
    assert resp.status == 401
    assert await _events(world) == 1  # only the signed one was recorded


# ---------------------------------------------------------------------------
# Lookups, subscription, unsubscribe


async def test_code_lookup_answers_the_public_view(zclient, world, pool, zsettings, oa) -> None:
    code = await create_shipment(zclient, world)
    spaced = f"{code[:2].lower()} {code[2:6]} {code[6:11]} {code[11:].lower()}"
    started = time.monotonic()
    resp = await post_event(zclient, f"cho hỏi {spaced}")
    assert resp.status == 200 and time.monotonic() - started < 2
    assert await pump(pool, zsettings) == 1
    [message] = oa.messages
    assert message["recipient"] == {"user_id": "user-1"}
    assert oa.tokens == [OA_TOKEN]
    text = message["message"]["text"]
    assert code in text and "Hẹn trả: 03/12/2026" in text and f"http://postal.test/t/{code}" in text
    for private in ("Nhung", "0912345678", "5678", "Hùng Vương", "001199012345"):
        assert private not in text
    assert await pump(pool, zsettings) == 0  # answered once


async def test_subscription_then_one_message_per_status_change(zclient, world, pool, zsettings, oa) -> None:
    code = await create_shipment(zclient, world)
    await post_event(zclient, f"{code} 5678", user="citizen-z")
    await pump(pool, zsettings)
    [reply] = oa.texts("citizen-z")
    assert "N. T. H. Nhung" in reply and "Nguyễn" not in reply and "huỷ" in reply
    assert await world.db.fetchval("SELECT count(*) FROM zalo_subscriptions") == 1
    resp = await scan(zclient, world, scan_body(code, "picked_up", -30))
    assert resp.status == 201
    assert await pump(pool, zsettings) == 1
    assert await pump(pool, zsettings) == 0
    update = oa.texts("citizen-z")[1]
    assert code in update and "http://postal.test/t/" in update and "Nhung" not in update
    await world.db.execute("UPDATE outbox SET processed_at = NULL WHERE topic = 'zalo.status'")  # a replay
    assert await pump(pool, zsettings) == 0
    assert len(oa.texts("citizen-z")) == 2


async def test_wrong_digits_show_only_the_public_view(zclient, world, pool, zsettings, oa) -> None:
    code = await create_shipment(zclient, world)
    await post_event(zclient, f"{code} 1111", user="guesser")
    await post_event(zclient, "RA999999990VN 5678", user="guesser")  # not a code we hold (or not valid)
    await pump(pool, zsettings)
    wrong, unknown = oa.texts("guesser")
    assert code in wrong and "Nhung" not in wrong and "không khớp" in wrong
    assert "Nhung" not in unknown
    assert await world.db.fetchval("SELECT count(*) FROM zalo_subscriptions") == 0


async def test_unsubscribe_stops_updates(zclient, world, pool, zsettings, oa) -> None:
    code = await create_shipment(zclient, world)
    await post_event(zclient, f"{code} 5678", user="u-unsub")
    await post_event(zclient, f"Huỷ {code.lower()}", user="u-unsub")
    await pump(pool, zsettings)
    assert "không nhận tin" in oa.texts("u-unsub")[1]
    assert await world.db.fetchval("SELECT count(*) FROM zalo_subscriptions") == 0
    assert (await scan(zclient, world, scan_body(code, "picked_up", -30))).status == 201
    await pump(pool, zsettings)
    assert len(oa.texts("u-unsub")) == 2


async def test_anything_else_gets_help(zclient, world, pool, zsettings, oa) -> None:
    await post_event(zclient, "alo", user="u-help")
    await pump(pool, zsettings)
    assert "RA123456785VN" in oa.texts("u-help")[0]


# ---------------------------------------------------------------------------
# Rate limit and duplicates


async def test_rate_limit_per_user(zclient, world, pool, zsettings, oa) -> None:
    for _ in range(13):
        assert (await post_event(zclient, "alo", user="chatty")).status == 200
    await post_event(zclient, "alo", user="calm")
    await pump(pool, zsettings)
    texts = oa.texts("chatty")
    assert len(texts) == 11 and "quá nhiều" in texts[-1]
    assert len(oa.texts("calm")) == 1


async def test_wrong_digits_weigh_in_the_rate_limit(zclient, world, pool, zsettings, oa) -> None:
    code = await create_shipment(zclient, world)
    await post_event(zclient, f"{code} 0000", user="g")
    await post_event(zclient, f"{code} 0001", user="g")
    await post_event(zclient, f"{code} 5678", user="g")  # right, but the two guesses used the window
    await pump(pool, zsettings)
    texts = oa.texts("g")
    assert len(texts) == 3 and "quá nhiều" in texts[2]
    assert await world.db.fetchval("SELECT count(*) FROM zalo_subscriptions") == 0


async def test_duplicate_event_ids_are_answered_once(aiohttp_client, zclient, world, pool, zsettings,
                                                     oa) -> None:
    code = await create_shipment(zclient, world)
    other = await aiohttp_client(await create_app(zsettings))  # a second process: its own app and pool
    raw, ts = event(code, user="dup", msg_id="msg-42")
    headers = {"X-ZEvent-Signature": signature(raw, ts)}
    answers = await asyncio.gather(*(c.post("/api/v1/zalo/events", data=raw, headers=headers)
                                     for c in [zclient, other] * 4))
    assert [r.status for r in answers] == [200] * 8
    await asyncio.gather(pump(pool, zsettings), pump(pool, zsettings))
    await pump(pool, zsettings)
    assert len(oa.texts("dup")) == 1
