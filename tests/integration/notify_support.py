"""A fake Zalo ZNS API (with its OAuth refresh) and a fake SMS gateway, and a pump for the workers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiohttp import web

from postal.services.views import Clock
from postal.settings import Settings
from postal.store.database import create_pool
from postal.workers import HANDLERS, notify
from postal.workers.outbox import dispatch_once


@dataclass
class Providers:
    """What the fakes received, and how they answer (change the fields to script a scenario)."""

    zns: list[dict[str, Any]] = field(default_factory=list)
    zns_headers: list[dict[str, str]] = field(default_factory=list)
    sms: list[dict[str, Any]] = field(default_factory=list)
    sms_auth: list[str] = field(default_factory=list)
    refreshes: list[dict[str, str]] = field(default_factory=list)
    zns_error: int = 0
    valid_token: str = "zns-token-1"
    sms_status: list[int] = field(default_factory=list)  # answers to give first (then 202)
    sms_retry_after: str | None = None
    base: str = ""  # where the fakes are served, set by the fixture that starts them

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/zns/message/template", self._zns)
        app.router.add_post("/oauth/access_token", self._refresh)
        app.router.add_post("/sms/send", self._sms)
        return app

    async def _zns(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token", "")
        if token != self.valid_token:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        self.zns.append(await request.json())
        self.zns_headers.append(dict(request.headers))
        if self.zns_error:
            return web.json_response({"error": self.zns_error, "message": "refused"})
        return web.json_response({"error": 0, "message": "Success", "data": {"msg_id": f"m{len(self.zns)}"}})

    async def _refresh(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.refreshes.append({**{k: str(v) for k, v in form.items()},
                               "secret_key": request.headers.get("secret_key", "")})
        self.valid_token = f"zns-token-{len(self.refreshes) + 1}"
        return web.json_response({"access_token": self.valid_token, "refresh_token": f"rt-{len(self.refreshes)}",
                                  "expires_in": "90000"})

    async def _sms(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.sms_status:
            status = self.sms_status.pop(0)
            headers = {"Retry-After": self.sms_retry_after} if self.sms_retry_after else {}
            return web.json_response({"error": "busy"}, status=status, headers=headers)
        self.sms.append(body)
        self.sms_auth.append(request.headers.get("Authorization", ""))
        return web.json_response({"accepted": True}, status=202)

    def otps(self) -> list[str]:
        """Every one-time code received, from ZNS template data and SMS texts, in order."""
        codes = [m["template_data"]["otp"] for m in self.zns if "otp" in m["template_data"]]
        codes += [m.group(1) for s in self.sms if (m := re.search(r": (\d{6})\.", s["text"]))]
        return codes


def provider_settings(settings: Settings, base: str, channels: str, **extra: Any) -> Settings:
    """Settings pointing every channel at the fakes served at ``base``."""
    return settings.model_copy(update={
        "notify_channels": channels, "zns_api_url": f"{base}/zns", "zns_access_token": "zns-token-1",
        "zns_refresh_token": "rt-0", "zns_app_id": "app-1", "zns_app_secret": "app-secret",
        "zns_oauth_url": f"{base}/oauth/access_token",
        "zns_templates": {"otp": "301", "picked_up": "302", "delivered": "303", "delivery_failed": "304",
                          "late": "305"},
        "sms_api_url": f"{base}/sms/send", "sms_token": "sms-secret", **extra,
    })


async def pump(pool: asyncpg.Pool, settings: Settings) -> int:
    """What the workers do: dispatch the outbox, then send every due message; returns messages handled."""
    while await dispatch_once(pool, HANDLERS):
        pass
    async with notify.client_session(settings) as session:
        return await notify.drain(pool, notify.make_channels(pool, settings, session), Clock(settings))


async def worker_pool(dsn: str, settings: Settings) -> asyncpg.Pool:
    return await create_pool(dsn, settings)
