"""Helpers for the webhook tests: a real aiohttp receiver, a fake DNS, and the workers driven in-process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from postal.services.webhooks import system_resolve
from postal.settings import Settings
from postal.store.database import create_pool
from postal.workers import HANDLERS, outbox, webhooks

API = "/api/v1/webhooks"


@dataclass
class Received:
    """One request as the receiver saw it."""

    at: float
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP endpoint that records every request and answers from a script (then 200)."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(Received(time.monotonic(), dict(request.headers), await request.read()))
        status, headers = self.script.pop(0) if self.script else (200, {})
        return web.Response(status=status, headers=headers, text="ok")

    @property
    def port(self) -> int:
        """The TCP port the receiver listens on (127.0.0.1)."""
        assert self.server is not None and self.server.port is not None
        return self.server.port

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/hook"))

    async def wait_for(self, count: int, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while len(self.requests) < count:
            assert time.monotonic() < deadline, f"{len(self.requests)} of {count} requests after {seconds} s"
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def receiver(script: list[tuple[int, dict[str, str]]] | None = None) -> AsyncIterator[Receiver]:
    rec = Receiver(script=list(script or []))
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    rec.server = TestServer(app, host="127.0.0.1")
    await rec.server.start_server()
    try:
        yield rec
    finally:
        await rec.server.close()


class FakeDNS(AbstractResolver):
    """Answers names from a table (what a hostile DNS could answer), other names from the system resolver;
    usable for subscriptions (called) and by aiohttp (``resolve``)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    async def __call__(self, host: str, port: int) -> list[str]:
        if host not in self.table:
            return await system_resolve(host, port)
        return [self.table[host]]

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        address = (await self(host, port))[0]
        return [{"hostname": host, "host": address, "port": port, "family": socket.AF_INET, "proto": 0,
                 "flags": 0}]

    async def close(self) -> None:
        return None


@contextlib.asynccontextmanager
async def workers(dsn: str, settings: Settings, *, loops: int = 1,
                  resolver: AbstractResolver | None = None) -> AsyncIterator[None]:
    """``loops`` worker processes' worth of dispatcher + sender, each with its own pool, until the block ends."""
    pools = [await create_pool(dsn, settings) for _ in range(loops)]
    tasks = []
    for pool in pools:
        tasks.append(asyncio.create_task(outbox.run(pool, HANDLERS, idle_seconds=0.1)))
        tasks.append(asyncio.create_task(webhooks.run(pool, settings, resolver=resolver, idle_seconds=0.1)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for pool in pools:
            await pool.close()


async def subscribe(client: Any, world: Any, url: str, events: list[str] | None = None,
                    who: str = "integ1", **extra: Any) -> dict[str, Any]:
    resp = await client.post(API, json={"url": url, "events": events or ["*"], **extra}, headers=world.auth(who))
    assert resp.status == 201, await resp.text()
    return dict(await resp.json())


async def eventually(check: Callable[[], Any], seconds: float = 20) -> Any:
    """Poll an async check until it returns something truthy."""
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)
