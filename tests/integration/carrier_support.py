"""Helpers of the carrier tests: the simulator in-process, our app wired to it, and a way to drive both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from postal.carriers.sim import Simulator
from postal.carriers.vnpost.proxy import VNPostProxy
from postal.edge.keys import pool_key
from postal.services import carriers as service
from postal.services.views import Clock
from postal.settings import Settings
from postal.workers import outbox
from postal.workers.carriers import make_handlers, vnpost_config

SECRET = "cb-secret-for-tests-0123456789"


@dataclass
class Rig:
    """Our app (``client``), the simulator (``sim`` at ``sim_server``) and a proxy to it."""

    client: TestClient
    sim: Simulator
    sim_server: TestServer
    session: aiohttp.ClientSession
    proxy: VNPostProxy
    settings: Settings

    @property
    def pool(self) -> Any:
        return self.client.app[pool_key]

    @property
    def clock(self) -> Clock:
        return Clock(self.settings)

    async def dispatch(self) -> int:
        """One round of the carrier outbox topics."""
        return await outbox.dispatch_once(self.pool, make_handlers(self.proxy))

    async def sim_post(self, path: str, body: Any = None) -> Any:
        async with self.session.post(self.sim_server.make_url(path), json=body or {}) as resp:
            return resp.status, await resp.json()

    async def sim_orders(self) -> list[dict[str, Any]]:
        async with self.session.get(self.sim_server.make_url("/_sim/orders")) as resp:
            assert resp.status == 200
            return list(await resp.json())

    async def order_of(self, code: str) -> dict[str, Any]:
        found = [o for o in await self.sim_orders() if o["saleOrderCode"] == code]
        assert len(found) == 1, found
        return found[0]

    async def report(self, original_id: str, status: int, minutes_ago: float, note: str = "") -> dict[str, Any]:
        """Tell the simulator an order reached ``status`` ``minutes_ago`` (pushed to us when wired)."""
        when = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()
        code, body = await self.sim_post(f"/_sim/orders/{original_id}/status",
                                         {"status": status, "time": when, "note": note})
        assert code == 200, body
        return dict(body)

    async def poll(self) -> int:
        return await service.poll_once(self.pool, self.proxy, self.clock)


def wired_settings(settings: Settings, sim_server: TestServer) -> Settings:
    return settings.model_copy(update={
        "vnpost_api_url": str(sim_server.make_url("")).rstrip("/"), "vnpost_username": "postal",
        "vnpost_password": "pw", "vnpost_customer_code": "C0001", "vnpost_callback_secret": SECRET,
        "vnpost_timeout_seconds": 3.0,
    })


def make_proxy(session: aiohttp.ClientSession, settings: Settings) -> VNPostProxy:
    config = vnpost_config(settings)
    assert config is not None

    async def no_wait(_: float) -> None:
        return None

    return VNPostProxy(session, config, sleep=no_wait)
