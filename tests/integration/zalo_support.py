"""A fake Zalo OA message API, signed webhook events, and a pump for the chatbot's workers."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from postal.domain.zalo import expected_mac
from postal.settings import Settings
from postal.workers import HANDLERS, zalo
from postal.workers.outbox import dispatch_once

APP_ID = "4312345678901234567"
OA_SECRET = "oa-secret-for-tests"
OA_TOKEN = "oa-access-token-1"


@dataclass
class FakeOA:
    """What the OA API received (``POST /v3.0/oa/message/cs``)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._cs)
        return app

    async def _cs(self, request: web.Request) -> web.Response:
        self.tokens.append(request.headers.get("access_token", ""))
        self.messages.append(await request.json())
        return web.json_response({"error": 0, "message": "Success", "data": {"message_id": uuid.uuid4().hex}})

    def texts(self, user: str | None = None) -> list[str]:
        return [m["message"]["text"] for m in self.messages if user is None or m["recipient"]["user_id"] == user]


def zalo_settings(settings: Settings, oa_url: str) -> Settings:
    return settings.model_copy(update={"zalo_app_id": APP_ID, "zalo_oa_secret": OA_SECRET,
                                       "zalo_oa_api_url": oa_url, "zalo_oa_access_token": OA_TOKEN})


def event(text: str, user: str = "user-1", msg_id: str | None = None, stamp: int | None = None,
          event_name: str = "user_send_text") -> tuple[bytes, str]:
    """A webhook body as Zalo sends it, and its timestamp."""
    ts = str(stamp if stamp is not None else int(time.time() * 1000))
    body = {"app_id": APP_ID, "user_id_by_app": "x", "event_name": event_name, "timestamp": ts,
            "sender": {"id": user}, "recipient": {"id": "oa-1"},
            "message": {"msg_id": msg_id or uuid.uuid4().hex, "text": text}}
    return json.dumps(body, ensure_ascii=False).encode(), ts


def signature(raw: bytes, ts: str, secret: str = OA_SECRET, app_id: str = APP_ID) -> str:
    return f"mac={expected_mac(app_id, raw, ts, secret)}"


async def post_event(client: Any, text: str, user: str = "user-1", msg_id: str | None = None) -> Any:
    raw, ts = event(text, user, msg_id)
    return await client.post("/api/v1/zalo/events", data=raw,
                             headers={"X-ZEvent-Signature": signature(raw, ts), "Content-Type": "application/json"})


async def pump(pool: asyncpg.Pool, settings: Settings) -> int:
    """What the workers do: dispatch the outbox, then send every due OA message; returns messages sent."""
    while await dispatch_once(pool, HANDLERS):
        pass
    async with aiohttp.ClientSession() as session:
        return await zalo.drain(pool, zalo.make_sender(session, settings), settings.public_url)
