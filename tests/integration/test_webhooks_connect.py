"""The sender's guards at connect time: resolved addresses checked when connecting (a name that
resolves to 127.0.0.1 now, whatever it resolved to when subscribed), no redirects followed, bounded
timeouts and a bounded read of the answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver
from aiohttp.test_utils import TestServer

from postal.app import create_app
from postal.edge.keys import resolve_key
from postal.services.webhooks import Resolve
from postal.settings import Settings
from postal.store.database import create_pool
from postal.workers import HANDLERS, outbox
from postal.workers.webhooks import Sender, make_session
from tests.integration.scan_helpers import create_shipment
from tests.integration.webhook_support import FakeDNS, receiver, subscribe


@pytest.fixture
async def pool(dsn: str, settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(dsn, settings)
    yield pool
    await pool.close()


async def send_all(pool: asyncpg.Pool, *, allow_loopback: bool, resolver: AbstractResolver | None = None,
                   client_timeout: aiohttp.ClientTimeout | None = None) -> int:
    """Fan out what the outbox holds, then one sender pass."""
    while await outbox.dispatch_once(pool, HANDLERS):
        pass
    extra = {"timeout": client_timeout} if client_timeout else {}
    async with make_session(allow_loopback=allow_loopback, resolver=resolver, **extra) as session:
        return await Sender(pool, session, allow_loopback=allow_loopback).deliver_once()


async def last_attempt(db: asyncpg.Connection) -> dict[str, Any]:
    return dict(await db.fetchrow("SELECT status_code, outcome, error, next_attempt_at IS NOT NULL AS retry"
                                  " FROM webhook_attempts ORDER BY id DESC LIMIT 1"))


async def test_a_name_rebound_to_127_0_0_1_is_refused_when_connecting(aiohttp_client, settings, world, db, pool):
    async with receiver() as rec:
        port = rec.port
        app = await create_app(settings)  # the flag is off
        public: Resolve = FakeDNS({"hooks.example.org": "93.184.216.34"})  # public when subscribed …
        app[resolve_key] = public
        client = await aiohttp_client(app)
        await subscribe(client, world, f"http://hooks.example.org:{port}/hook")
        await create_shipment(client, world)
        rebound = FakeDNS({"hooks.example.org": "127.0.0.1"})  # … loopback when the worker connects
        assert await send_all(pool, allow_loopback=False, resolver=rebound) == 1
        assert rec.requests == []
        assert await last_attempt(db) == {"status_code": None, "outcome": "refused",
                                          "error": "webhook target refused: địa chỉ loopback", "retry": True}
        # the control: the same name and resolver do reach the receiver when loopback is allowed
        await db.execute("UPDATE webhook_deliveries SET next_attempt_at = now()")
        assert await send_all(pool, allow_loopback=True, resolver=rebound) == 1
        assert len(rec.requests) == 1


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::ffff:127.0.0.1]"])
async def test_loopback_targets_are_refused_at_connect_time_without_the_flag(client, world, db, pool, host):
    async with receiver() as rec:
        # subscribed while the flag was on (or written by hand): the sender checks again
        await db.execute("INSERT INTO webhook_subscriptions (agency_code, url, events, secret)"
                         " VALUES ('AG-1', $1, '{*}', 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0')",
                         f"http://{host}:{rec.port}/hook")
        await create_shipment(client, world)
        assert await send_all(pool, allow_loopback=False) == 1
        assert rec.requests == []
        assert (await last_attempt(db))["outcome"] == "refused"


async def test_redirects_are_not_followed(client, world, db, pool):
    async with receiver(script=[(307, {"Location": "http://169.254.169.254/latest/meta-data"})]) as rec:
        await subscribe_loopback(db, rec.url)
        await create_shipment(client, world)
        assert await send_all(pool, allow_loopback=True) == 1
        assert len(rec.requests) == 1
        assert await last_attempt(db) == {"status_code": 307, "outcome": "http_error", "error": "HTTP 307",
                                          "retry": True}


async def subscribe_loopback(db: asyncpg.Connection, url: str) -> None:
    await db.execute("INSERT INTO webhook_subscriptions (agency_code, url, events, secret)"
                     " VALUES ('AG-1', $1, '{*}', 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0')", url)


@pytest.fixture
async def odd_server() -> AsyncIterator[TestServer]:
    """A receiver that hangs (/slow) or answers an endless body (/endless)."""
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response()

    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        try:
            while True:
                await resp.write(b"x" * 65536)
        except (ConnectionError, asyncio.CancelledError):
            return resp

    app = web.Application()
    app.router.add_post("/slow", slow)
    app.router.add_post("/endless", endless)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def test_a_hanging_target_times_out_and_is_retried(client, world, db, pool, odd_server):
    await subscribe_loopback(db, str(odd_server.make_url("/slow")))
    await create_shipment(client, world)
    started = asyncio.get_running_loop().time()
    assert await send_all(pool, allow_loopback=True, client_timeout=aiohttp.ClientTimeout(total=1)) == 1
    assert asyncio.get_running_loop().time() - started < 5
    assert await last_attempt(db) == {"status_code": None, "outcome": "timeout", "error": "timeout", "retry": True}


async def test_an_endless_answer_is_read_only_up_to_the_limit(client, world, db, pool, odd_server):
    await subscribe_loopback(db, str(odd_server.make_url("/endless")))
    await create_shipment(client, world)
    assert await send_all(pool, allow_loopback=True, client_timeout=aiohttp.ClientTimeout(total=5)) == 1
    assert (await last_attempt(db))["outcome"] == "delivered"
