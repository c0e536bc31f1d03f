"""Webhook delivery: the fan-out handler the outbox dispatcher calls, and the sender loop.

The sender leases due deliveries (``FOR UPDATE SKIP LOCKED``, so several processes share the work),
signs each with the Standard Webhooks headers and POSTs it without following redirects, with bounded
timeouts and a bounded read of the answer. The SSRF guard runs at connect time: every address the
resolver gives must be acceptable (:func:`postal.domain.webhooks.refusal`), and an IP written in the
URL is checked before any connection, because aiohttp asks no resolver for it. A name that resolved to
a public address when it was subscribed and to 127.0.0.1 now is therefore refused. Neither the secret
nor the URL is ever logged.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
from aiohttp.abc import AbstractResolver, ResolveResult

from postal import __version__
from postal.domain import webhooks as rules
from postal.services import webhooks as service
from postal.settings import Settings
from postal.workers.outbox import OutboxHandler

log = logging.getLogger(__name__)
TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5, sock_connect=5, sock_read=10)
LEASE_SECONDS = 60.0  # longer than TIMEOUT.total: a crashed sender's deliveries come back after it
MAX_RESPONSE_BYTES = 64 * 1024
BATCH = 20


async def _fan_out(con: asyncpg.Connection, payload: dict[str, Any]) -> None:
    await service.fan_out(con, payload)


HANDLERS: dict[str, OutboxHandler] = {"webhook.fanout": _fan_out}
"""Outbox topics this module handles (merged into :data:`postal.workers.HANDLERS`)."""


class RefusedTarget(OSError):
    """The target resolves to an address webhooks never call (aiohttp wraps OSErrors from the resolver)."""


class GuardedResolver(AbstractResolver):
    """Wraps a resolver and refuses a name when any address it resolves to is not acceptable."""

    def __init__(self, inner: AbstractResolver, *, allow_loopback: bool) -> None:
        self._inner = inner
        self._allow_loopback = allow_loopback

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            reason = rules.refusal(result["host"], allow_loopback=self._allow_loopback)
            if reason:
                raise RefusedTarget(f"webhook target refused: {reason}")
        return results

    async def close(self) -> None:
        await self._inner.close()


def make_session(*, allow_loopback: bool, resolver: AbstractResolver | None = None,
                 timeout: aiohttp.ClientTimeout = TIMEOUT) -> aiohttp.ClientSession:
    """The HTTP client of the sender: guarded resolver, no DNS cache, no proxies from the environment,
    no cookies carried between targets."""
    guarded = GuardedResolver(resolver or aiohttp.ThreadedResolver(), allow_loopback=allow_loopback)
    connector = aiohttp.TCPConnector(resolver=guarded, use_dns_cache=False, limit=50, limit_per_host=5)
    return aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False,
                                 cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False)


class Sender:
    """Sends due deliveries; one instance per process, any number of processes per database."""

    def __init__(self, pool: asyncpg.Pool, session: aiohttp.ClientSession, *, allow_loopback: bool) -> None:
        self.pool = pool
        self.session = session
        self.allow_loopback = allow_loopback

    async def deliver_once(self, batch: int = BATCH) -> int:
        """Lease, send and record up to ``batch`` deliveries; returns how many were leased."""
        claimed = await service.claim(self.pool, batch, LEASE_SECONDS)
        if not claimed:
            return 0
        results = await asyncio.gather(*(self.send(c) for c in claimed))
        for item, result in zip(claimed, results, strict=True):
            await service.finish(self.pool, item, result)
        return len(claimed)

    async def send(self, item: service.Claimed) -> service.SendResult:
        """One signed POST; every failure becomes a result, never an exception."""
        attempted_at, started = datetime.now(UTC), time.monotonic()

        def result(outcome: str, status: int | None = None, error: str | None = None,
                   retry_after: str | None = None) -> service.SendResult:
            return service.SendResult(outcome=outcome, status_code=status, error=error, retry_after=retry_after,
                                      attempted_at=attempted_at,
                                      duration_ms=int((time.monotonic() - started) * 1000))

        host, _ = rules.check_url(item.url)
        if rules.is_ip_literal(host):
            reason = rules.refusal(host.strip("[]"), allow_loopback=self.allow_loopback)
            if reason:
                return result("refused", error=reason)
        headers = rules.headers(item.secret, item.message_id, int(time.time()), item.body) | {
            "content-type": "application/json", "user-agent": f"postal-webhooks/{__version__}"}
        try:
            async with self.session.post(item.url, data=item.body.encode(), headers=headers,
                                         allow_redirects=False) as resp:
                await resp.content.read(MAX_RESPONSE_BYTES)  # bounded: the rest is dropped with the connection
                outcome = "delivered" if 200 <= resp.status < 300 else "gone" if resp.status == 410 else "http_error"
                return result(outcome, resp.status, None if outcome == "delivered" else f"HTTP {resp.status}",
                              resp.headers.get("Retry-After"))
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, RefusedTarget):
                return result("refused", error=str(exc.os_error))
            return result("connection_error", error=type(exc).__name__)
        except TimeoutError:
            return result("timeout", error="timeout")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return result("connection_error", error=type(exc).__name__)


async def run(pool: asyncpg.Pool, settings: Settings, *, resolver: AbstractResolver | None = None,
              idle_seconds: float = 1.0) -> None:
    """Send deliveries until cancelled, sleeping when nothing is due."""
    async with make_session(allow_loopback=settings.webhook_allow_loopback, resolver=resolver) as session:
        sender = Sender(pool, session, allow_loopback=settings.webhook_allow_loopback)
        while True:
            try:
                sent = await sender.deliver_once()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("webhook delivery failed", extra={"error": type(exc).__name__})
                sent = 0
            if not sent:
                await asyncio.sleep(idle_seconds)
