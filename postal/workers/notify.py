"""Citizen notifications in the workers: the outbox handlers (topic → handler) and the sender loop.

``HANDLERS`` is merged into ``postal.workers.HANDLERS``: each ``notification.<kind>`` outbox row
becomes one ``notifications`` row (see ``postal.services.notifications`` for the once-only rules).
:func:`run` sends the due messages through the channels of ``POSTAL_NOTIFY_CHANNELS``. ``late``
rows come from the overdue watcher (``postal.workers.overdue``) and from reschedules.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import asyncpg

from postal.domain import notices
from postal.services import notifications as service
from postal.services.views import Clock
from postal.settings import Settings
from postal.store.notifications import StoredToken
from postal.workers import channels
from postal.workers.outbox import OutboxHandler

log = logging.getLogger(__name__)


async def _enqueue(con: asyncpg.Connection, payload: dict[str, Any]) -> None:
    await service.enqueue(con, payload)


HANDLERS: dict[str, OutboxHandler] = dict.fromkeys(service.TOPICS, _enqueue)
"""Outbox topic → handler, merged into the dispatcher's table."""


class DbTokenSource:
    """The ZNS access token shared through the database; refreshed once for every process."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool, self.settings = pool, settings

    async def current(self) -> str | None:
        return await service.zns_token(self.pool, self.settings.zns_access_token)

    async def refresh(self, expired: str, session: aiohttp.ClientSession) -> str | None:
        s = self.settings
        if not (s.zns_app_id and s.zns_app_secret):
            return None

        async def fetch(refresh_token: str) -> tuple[str, str | None] | None:
            url, headers, form = channels.build_zns_refresh(s.zns_oauth_url, s.zns_app_id, s.zns_app_secret,
                                                            refresh_token)
            status, body, _ = await channels.post(session, url, headers, form=form)
            got = channels.parse_zns_refresh(status, body)
            log.info("zns token refresh", extra={"ok": got is not None, "http_status": status})
            return got

        seed = StoredToken(s.zns_access_token, s.zns_refresh_token or None)
        return await service.refresh_zns_token(self.pool, expired, seed, fetch)


def make_channels(pool: asyncpg.Pool, settings: Settings,
                  session: aiohttp.ClientSession) -> Mapping[str, channels.Channel]:
    """The configured channels by name (only those named in ``POSTAL_NOTIFY_CHANNELS`` are used)."""
    return {
        "zns": channels.ZnsChannel(session, settings.zns_api_url, settings.zns_templates,
                                   DbTokenSource(pool, settings)),
        "sms": channels.SmsChannel(session, settings.sms_api_url, settings.sms_token),
        "log": channels.LogChannel(),
    }


@asynccontextmanager
async def client_session(settings: Settings) -> AsyncIterator[aiohttp.ClientSession]:
    """The providers' HTTP session, with bounded connect and total timeouts."""
    timeout = aiohttp.ClientTimeout(total=settings.notify_timeout_seconds,
                                    connect=min(5.0, settings.notify_timeout_seconds))
    async with aiohttp.ClientSession(timeout=timeout, raise_for_status=False) as session:
        yield session


async def send_once(pool: asyncpg.Pool, by_name: Mapping[str, channels.Channel], clock: Clock) -> bool:
    """Send (or give up on) one due message; False when nothing was due."""

    async def send(name: str, notice: notices.Notice) -> service.Result:
        return await channels.send_safely(by_name[name], notice)

    return await service.send_one(pool, clock, send)


async def drain(pool: asyncpg.Pool, by_name: Mapping[str, channels.Channel], clock: Clock) -> int:
    """Send every message due now; returns how many were handled."""
    handled = 0
    while await send_once(pool, by_name, clock):
        handled += 1
    return handled


async def run(pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession,
              idle_seconds: float = 1.0) -> None:
    """Send due messages until cancelled."""
    clock = Clock(settings)
    by_name = make_channels(pool, settings, session)
    while True:
        try:
            sent = await drain(pool, by_name, clock)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("notification sender failed", extra={"error": type(exc).__name__})
            sent = 0
        if not sent:
            await asyncio.sleep(idle_seconds)
