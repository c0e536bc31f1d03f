"""Enumeration throttling: per client address, in PostgreSQL, shared by every process."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from postal.app import create_app
from postal.settings import Settings
from postal.store import tracking_rate
from tests.integration import tracking_support as ts

ALICE = {"X-Forwarded-For": "203.0.113.7"}
BOB = {"X-Forwarded-For": "198.51.100.9"}


@pytest.fixture
def limited(settings: Settings) -> Settings:
    """5 lookups an hour (a long window, so a burst never straddles two), behind a trusted proxy on 127.0.0.1."""
    return settings.model_copy(update={"track_rate_limit": 5, "track_rate_window_seconds": 3600,
                                       "trusted_proxies": ["127.0.0.1/32"]})


@pytest.fixture
async def app_client(aiohttp_client: AiohttpClient, limited: Settings) -> TestClient:
    return await aiohttp_client(await create_app(limited))


async def test_a_burst_from_one_address_is_429_and_another_address_is_not(app_client, world):
    code = (await ts.create(app_client, world))["tracking_code"]
    for _ in range(5):
        assert (await app_client.get(f"/api/v1/track/{code}", headers=ALICE)).status == 200
    resp = await app_client.get(f"/api/v1/track/{code}", headers=ALICE)
    assert resp.status == 429
    assert resp.content_type == "application/problem+json"
    assert 1 <= int(resp.headers["Retry-After"]) <= 3600
    assert (await resp.json())["status"] == 429
    assert (await app_client.get(f"/api/v1/track/{code}", headers=BOB)).status == 200


async def test_not_found_lookups_count_too(app_client):
    for _ in range(5):
        assert (await app_client.get("/api/v1/track/RA000000000VN", headers=ALICE)).status == 404
    assert (await app_client.get("/api/v1/track/RA000000000VN", headers=ALICE)).status == 429
    assert (await app_client.get("/api/v1/track/not-a-code", headers=ALICE)).status == 429


async def test_wrong_phone4_counts_five(app_client, world, limited):
    code = (await ts.create(app_client, world))["tracking_code"]
    resp = await app_client.get(f"/api/v1/track/{code}", params={"phone4": "0000"}, headers=ALICE)
    assert resp.status == 200
    assert (await app_client.get(f"/api/v1/track/{code}", headers=ALICE)).status == 429


async def test_right_phone4_counts_one(app_client, world):
    code = (await ts.create(app_client, world))["tracking_code"]
    for _ in range(5):
        resp = await app_client.get(f"/api/v1/track/{code}", params={"phone4": ts.PHONE4}, headers=ALICE)
        assert resp.status == 200


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(aiohttp_client, settings, world):
    client = await aiohttp_client(await create_app(settings.model_copy(update={"track_rate_limit": 3})))
    code = (await ts.create(client, world))["tracking_code"]
    for headers in (ALICE, BOB, {"X-Forwarded-For": "192.0.2.1"}):
        assert (await client.get(f"/api/v1/track/{code}", headers=headers)).status == 200
    assert (await client.get(f"/api/v1/track/{code}", headers={"X-Forwarded-For": "192.0.2.2"})).status == 429


async def test_spoofed_left_hops_do_not_make_a_new_client(app_client, world):
    code = (await ts.create(app_client, world))["tracking_code"]
    for i in range(5):
        headers = {"X-Forwarded-For": f"10.0.0.{i}, 203.0.113.7"}
        assert (await app_client.get(f"/api/v1/track/{code}", headers=headers)).status == 200
    headers = {"X-Forwarded-For": "10.9.9.9, 203.0.113.7"}
    assert (await app_client.get(f"/api/v1/track/{code}", headers=headers)).status == 429


async def test_two_app_instances_on_one_database_share_the_count(aiohttp_client, limited, world):
    first = await aiohttp_client(await create_app(limited))
    second = await aiohttp_client(await create_app(limited))
    code = (await ts.create(first, world))["tracking_code"]
    statuses = []
    for i in range(6):
        client = first if i % 2 == 0 else second
        statuses.append((await client.get(f"/api/v1/track/{code}", headers=ALICE)).status)
    assert statuses == [200] * 5 + [429]
    assert (await second.get(f"/api/v1/track/{code}", headers=BOB)).status == 200


async def test_concurrent_burst_lets_exactly_the_limit_through(aiohttp_client, limited, world):
    first = await aiohttp_client(await create_app(limited))
    second = await aiohttp_client(await create_app(limited))
    code = (await ts.create(first, world))["tracking_code"]
    responses = await asyncio.gather(*[
        (first if i % 2 else second).get(f"/api/v1/track/{code}", headers=ALICE) for i in range(16)
    ])
    assert sorted(r.status for r in responses) == [200] * 5 + [429] * 11


async def test_pages_are_limited_with_an_html_429(app_client, world):
    code = (await ts.create(app_client, world))["tracking_code"]
    for _ in range(5):
        assert (await app_client.get(f"/t/{code}", headers=ALICE)).status == 200
    resp = await app_client.get(f"/t/{code}", headers=ALICE)
    assert resp.status == 429
    assert resp.content_type == "text/html"
    assert int(resp.headers["Retry-After"]) >= 1
    assert "Tra cứu quá nhiều lần" in await resp.text()
    resp = await app_client.get(f"/q/{code}.AAAAAAAA", headers=ALICE)
    assert resp.status == 429
    resp = await app_client.get(f"/t/{code}?lang=en", headers=ALICE)
    assert "Too many lookups" in await resp.text()


async def test_forged_qr_signatures_count_as_guesses(app_client, world):
    code = (await ts.create(app_client, world))["tracking_code"]
    assert (await app_client.get(f"/q/{code}.AAAAAAAA", headers=ALICE)).status == 404
    assert (await app_client.get(f"/t/{code}", headers=ALICE)).status == 429


async def test_api_and_pages_share_one_count(app_client, world):
    code = (await ts.create(app_client, world))["tracking_code"]
    for path in (f"/t/{code}", f"/api/v1/track/{code}") * 2 + (f"/t/{code}",):
        assert (await app_client.get(path, headers=ALICE)).status == 200
    assert (await app_client.get(f"/api/v1/track/{code}", headers=ALICE)).status == 429


async def test_counters_hold_no_address_and_old_windows_are_purged(app_client, db):
    await app_client.get("/api/v1/track/RA000000000VN", headers=ALICE)
    rows = await db.fetch("SELECT * FROM track_rate_hits")
    assert len(rows) == 1
    assert b"203.0.113.7" not in bytes(rows[0]["client_hash"])
    await db.execute("INSERT INTO track_rate_hits (client_hash, window_start, hits)"
                     " VALUES ('\\x00'::bytea, now() - interval '3 hours', 3)")
    assert await tracking_rate.purge_old_windows(db, 3600) == 1
    assert await db.fetchval("SELECT count(*) FROM track_rate_hits") == 1
