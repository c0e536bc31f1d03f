"""The Zalo OA chatbot in the workers: the ``zalo.status`` outbox handler and the message sender.

The OA message API: ``POST {POSTAL_ZALO_OA_API_URL}/v3.0/oa/message/cs`` with header
``access_token`` and ``{"recipient": {"user_id"}, "message": {"text"}}``; HTTP 200 with
``{"error": 0}`` is success. Timeouts, 5xx and 429 are retried with backoff; ``-216`` (token
expired: an operator rotates ``POSTAL_ZALO_OA_ACCESS_TOKEN``) is retried later; any other Zalo
error (user blocked the OA, outside the reply window…) is final for that message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import asyncpg

from postal.services import zalo as service
from postal.settings import Settings
from postal.workers.channels import parse_retry_after, post
from postal.workers.outbox import OutboxHandler

log = logging.getLogger("postal.zalo")
TOKEN_EXPIRED = -216


async def _status(con: asyncpg.Connection, payload: dict[str, Any]) -> None:
    await service.fan_out(con, payload)


HANDLERS: dict[str, OutboxHandler] = {service.STATUS_TOPIC: _status}
"""Outbox topic → handler, merged into the dispatcher's table."""


def build_request(api_url: str, token: str, user_id: str, text: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """URL, headers and JSON body of one OA customer-service message."""
    body = {"recipient": {"user_id": user_id}, "message": {"text": text}}
    return f"{api_url.rstrip('/')}/v3.0/oa/message/cs", {"access_token": token}, body


def parse_response(status: int, body: Any, retry_after: str | None) -> service.SendResult:
    """The OA API's answer as a send outcome."""
    if status in (408, 425, 429) or status >= 500:
        return service.SendResult("retry", f"HTTP {status}", parse_retry_after(retry_after))
    if status != 200:
        return service.SendResult("failed", f"HTTP {status}")
    error = body.get("error") if isinstance(body, dict) else None
    if error == 0:
        return service.SendResult("sent")
    if error == TOKEN_EXPIRED:
        return service.SendResult("retry", "access token hết hạn (-216)", 60.0)
    if not isinstance(error, int):
        return service.SendResult("retry", "câu trả lời không đọc được")
    return service.SendResult("failed", f"zalo lỗi {error}")


def make_sender(session: aiohttp.ClientSession, settings: Settings) -> service.Send:
    """A send function over the OA API (no token configured: every message fails, logged)."""

    async def send(user_id: str, text: str) -> service.SendResult:
        if not settings.zalo_oa_access_token:
            return service.SendResult("failed", "chưa cấu hình POSTAL_ZALO_OA_ACCESS_TOKEN")
        url, headers, body = build_request(settings.zalo_oa_api_url, settings.zalo_oa_access_token, user_id, text)
        try:
            status, answer, retry_after = await post(session, url, headers, payload=body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return service.SendResult("retry", type(exc).__name__)
        return parse_response(status, answer, retry_after)

    return send


async def drain(pool: asyncpg.Pool, send: service.Send, public_url: str) -> int:
    """Send every message due now; returns how many were handled."""
    handled = 0
    while await service.send_one(pool, send, public_url):
        handled += 1
    return handled


async def run(pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession,
              idle_seconds: float = 0.3) -> None:
    """Send due OA messages until cancelled (a short idle so replies leave well within seconds)."""
    send = make_sender(session, settings)
    while True:
        try:
            handled = await drain(pool, send, settings.public_url)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("zalo sender failed", extra={"error": type(exc).__name__})
            handled = 0
        if not handled:
            await asyncio.sleep(idle_seconds)
