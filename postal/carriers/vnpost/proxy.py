"""The VNPost proxy: I/O only. It holds the token, sends the bodies ``build`` made, and hands the
answers to ``parse``.

- **Token**: from ``GetAccessToken``, cached; refreshed when its announced lifetime is nearly over
  and, whatever the lifetime said, once when a call answers 401.
- **Timeouts**: every call is bounded (``timeout`` seconds in all).
- **Retries**: transient failures (connection errors, timeouts, 5xx, 429) are retried ``retries``
  times with exponential backoff; then :class:`CarrierUnavailable` goes up and the outbox retries
  the whole job later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from postal.carriers.errors import CarrierAuthFailed, CarrierUnavailable
from postal.carriers.vnpost import build, parse

API_PREFIX = "/customer-partner"
REFRESH_MARGIN_SECONDS = 30.0


@dataclass(frozen=True)
class VNPostConfig:
    """Where the API is and who we are there."""

    api_url: str
    username: str
    password: str
    customer_code: str
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 0.5


class VNPostProxy:
    """The client of one VNPost account, over an injected aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession, config: VNPostConfig, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._session, self._config, self._sleep = session, config, sleep
        self._token: str | None = None
        self._expires_at: float | None = None
        self._lock = asyncio.Lock()

    # -- the operations --------------------------------------------------------

    async def create_order(self, order: build.OrderData) -> parse.CreatedOrder:
        """Push one order; :class:`DuplicateOrder` when its saleOrderCode is already there."""
        return parse.parse_create_order(*await self._call("CreateOrder", build.build_create_order(order)))

    async def find_order(self, sale_order_code: str) -> parse.CreatedOrder | None:
        """The operator's order with our tracking code, if any."""
        return parse.parse_find_order(*await self._call("GetOrder", build.build_find_order(sale_order_code)))

    async def cancel_order(self, original_id: str) -> bool:
        """Cancel an order; False when the operator does not know it."""
        return parse.parse_cancel(*await self._call("orderCancel", build.build_cancel(original_id)))

    async def tracking_events(self, last_id: int, page_size: int = 100) -> list[parse.Report | None]:
        """Reports after ``last_id`` in the operator's feed (the polling fallback)."""
        body = build.build_tracking_request(last_id, page_size)
        return parse.parse_tracking(*await self._call("GetTrackingEvents", body))

    # -- plumbing --------------------------------------------------------------

    async def _call(self, operation: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST with the token; one refresh on 401; transient failures retried with backoff."""
        token = await self._current_token()
        status, answer = await self._post(operation, body, {"token": token})
        if status == 401:
            token = await self._refresh(expired=token)
            status, answer = await self._post(operation, body, {"token": token})
            if status == 401:
                raise CarrierAuthFailed(f"VNPost refused a fresh token for {operation}")
        return status, answer

    async def _current_token(self) -> str:
        if self._token is not None and (self._expires_at is None or time.monotonic() < self._expires_at):
            return self._token
        return await self._refresh(expired=self._token)

    async def _refresh(self, expired: str | None) -> str:
        async with self._lock:
            if self._token is not None and self._token != expired:
                return self._token  # another task refreshed while we waited
            c = self._config
            body = build.build_token_request(c.username, c.password, c.customer_code)
            token, lifetime = parse.parse_token(*await self._post("GetAccessToken", body, {}))
            self._token = token
            self._expires_at = time.monotonic() + max(lifetime - REFRESH_MARGIN_SECONDS, 1.0) if lifetime else None
            return token

    async def _post(self, operation: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        url = f"{self._config.api_url.rstrip('/')}{API_PREFIX}/{operation}"
        for attempt in range(self._config.retries + 1):
            try:
                return await self._post_once(url, body, headers)
            except CarrierUnavailable:
                if attempt == self._config.retries:
                    raise
            await self._sleep(self._config.backoff * 2 ** attempt)
        raise AssertionError("unreachable")

    async def _post_once(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        timeout = aiohttp.ClientTimeout(total=self._config.timeout)
        try:
            async with self._session.post(url, json=body, headers=headers, timeout=timeout) as resp:
                answer = await resp.json(content_type=None) if resp.content_length != 0 else None
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise CarrierUnavailable(f"VNPost unreachable: {type(exc).__name__}") from None
        if status >= 500 or status == 429:
            raise CarrierUnavailable(f"VNPost answered HTTP {status}")
        return status, answer
