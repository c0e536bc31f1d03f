"""Enumeration throttling: misses (unknown well-formed codes, wrong proofs) per client address,
in PostgreSQL, shared by every process; hits on valid codes are never counted."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from postal.app import create_app
from postal.domain.codes import make_s10
from postal.settings import Settings
from postal.store import tracking_rate
from tests.integration import tracking_support as ts

ALICE = {"X-Forwarded-For": "203.0.113.7"}
BOB = {"X-Forwarded-For": "198.51.100.9"}
UNKNOWN = [make_s10("RA", 90_000_000 + n) for n in range(40)]
"""Well-formed codes (right check digit) that no test creates: each lookup is a miss."""


@pytest.fixture
def limited(settings: Settings) -> Settings:
    """5 misses an hour (a long window, so a burst never straddles two), behind a trusted proxy on 127.0.0.1."""
    return settings.model_copy(update={"track_rate_limit": 5, "track_rate_window_seconds": 3600,
                                       "trusted_proxies": ["127.0.0.1/32"]})


@pytest.fixture
async def app_client(aiohttp_client: AiohttpClient, limited: Settings) -> TestClient:
    return await aiohttp_client(await create_app(limited))


async def _miss(client: Any, headers: dict[str, str], n: int = 0) -> int:
    return (await client.get(f"/api/v1/track/{UNKNOWN[n]}", headers=headers)).status


async def test_misses_from_one_address_are_429_then_everything_is(app_client, world):
    code = (await ts.create(app_client, world))["tracking_code"]
    for n in range(5):
        assert await _miss(app_client, ALICE, n) == 404
    resp = await app_client.get(f"/api/v1/track/{UNKNOWN[5]}", headers=ALICE)
    assert resp.status == 429
    assert resp.content_type == "application/problem+json"
    assert 1 <= int(resp.headers["Retry-After"]) <= 3600
    assert (await resp.json())["status"] == 429
    # A blocked guesser learns nothing: a real code answers 429 like an unknown one, so does a malformed one.
    assert (await app_client.get(f"/api/v1/track/{code}", headers=ALICE)).status == 429
    assert (await app_client.get("/api/v1/track/not-a-code", headers=ALICE)).status == 429
    assert (await app_client.get(f"/api/v1/track/{code}", headers=BOB)).status == 200
    assert await _miss(app_client, BOB) == 404


async def test_hits_on_a_valid_code_are_never_counted(app_client, world, db):
    """A shared (carrier-grade NAT) address of many honest citizens looking up real codes is never throttled."""
    code = (await ts.create(app_client, world))["tracking_code"]
    for _ in range(30):
        assert (await app_client.get(f"/api/v1/track/{code}", headers=ALICE)).status == 200
        assert (await app_client.get(f"/api/v1/track/{code}", params={"phone4": ts.PHONE4},
                                     headers=ALICE)).status == 200
    for _ in range(10):
        assert (await app_client.get(f"/t/{code}", headers=ALICE)).status == 200
    assert await db.fetchval("SELECT count(*) FROM track_rate_hits") == 0  # no write at all


async def test_malformed_codes_are_404_and_not_counted(app_client):
    """A wrong check digit (most typos) reveals nothing: anyone can compute the check digit."""
    for _ in range(20):
        assert (await app_client.get("/api/v1/track/RA000000001VN", headers=ALICE)).status == 404
    assert await _miss(app_client, ALICE) == 404


async def test_wrong_phone4_counts_five(app_client, world):
    code = (await ts.create(app_client, world))["tracking_code"]
    resp = await app_client.get(f"/api/v1/track/{code}", params={"phone4": "0000"}, headers=ALICE)
    assert resp.status == 200
    assert "recipient" not in await resp.json()
    assert (await app_client.get(f"/api/v1/track/{code}", headers=ALICE)).status == 429


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(aiohttp_client, settings):
    client = await aiohttp_client(await create_app(settings.model_copy(update={"track_rate_limit": 3})))
    for n, headers in enumerate((ALICE, BOB, {"X-Forwarded-For": "192.0.2.1"})):
        assert await _miss(client, headers, n) == 404
    assert await _miss(client, {"X-Forwarded-For": "192.0.2.2"}, 3) == 429


async def test_spoofed_left_hops_do_not_make_a_new_client(app_client):
    for i in range(5):
        assert await _miss(app_client, {"X-Forwarded-For": f"10.0.0.{i}, 203.0.113.7"}, i) == 404
    assert await _miss(app_client, {"X-Forwarded-For": "10.9.9.9, 203.0.113.7"}, 5) == 429


async def test_two_app_instances_on_one_database_agree(aiohttp_client, limited, world):
    first = await aiohttp_client(await create_app(limited))
    second = await aiohttp_client(await create_app(limited))
    code = (await ts.create(first, world))["tracking_code"]
    statuses = [await _miss(first if n % 2 == 0 else second, ALICE, n) for n in range(6)]
    assert statuses == [404] * 5 + [429]
    # The instance that did not give the 429 knows the block too (from the shared counter), hits included.
    for client in (first, second):
        assert (await client.get(f"/api/v1/track/{code}", headers=ALICE)).status == 429
    assert (await second.get(f"/api/v1/track/{code}", headers=BOB)).status == 200


async def test_concurrent_misses_let_exactly_the_limit_through(aiohttp_client, limited):
    first = await aiohttp_client(await create_app(limited))
    second = await aiohttp_client(await create_app(limited))
    responses = await asyncio.gather(*[
        (first if i % 2 else second).get(f"/api/v1/track/{UNKNOWN[i]}", headers=ALICE) for i in range(16)
    ])
    assert sorted(r.status for r in responses) == [404] * 5 + [429] * 11


async def test_pages_are_limited_with_an_html_429(app_client, world):
    code = (await ts.create(app_client, world))["tracking_code"]
    for n in range(5):
        assert (await app_client.get(f"/t/{UNKNOWN[n]}", headers=ALICE)).status == 404
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


async def test_wrong_phone4_on_the_page_counts_too(app_client, world):
    code = (await ts.create(app_client, world))["tracking_code"]
    assert (await app_client.get(f"/t/{code}", params={"phone4": "0000"}, headers=ALICE)).status == 200
    assert (await app_client.get(f"/api/v1/track/{code}", headers=ALICE)).status == 429


async def test_counters_hold_no_address_are_unlogged_and_old_windows_are_purged(app_client, db):
    await _miss(app_client, ALICE)
    rows = await db.fetch("SELECT * FROM track_rate_hits")
    assert len(rows) == 1
    assert b"203.0.113.7" not in bytes(rows[0]["client_hash"])
    assert await db.fetchval("SELECT relpersistence::text FROM pg_class WHERE relname = 'track_rate_hits'") == "u"
    await db.execute("INSERT INTO track_rate_hits (client_hash, window_start, hits)"
                     " VALUES ('\\x00'::bytea, now() - interval '3 hours', 3)")
    assert await tracking_rate.purge_old_windows(db, 3600) == 1
    assert await db.fetchval("SELECT count(*) FROM track_rate_hits") == 1
