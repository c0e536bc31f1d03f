"""Every typed key of what the aiohttp application holds, in one place for the API and the pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry

from postal.errors import PostalError
from postal.services.accounts import TokenCache
from postal.services.signin import PasswordVerifier
from postal.services.views import Clock
from postal.services.webhooks import Resolve
from postal.settings import Settings

ErrorPage = Callable[[web.Request, PostalError], Awaitable[web.Response]]
"""Renders an error as a Vietnamese HTML page (registered by the web layer)."""

settings_key = web.AppKey("settings", Settings)
pool_key = web.AppKey("pool", asyncpg.Pool)
clock_key = web.AppKey("clock", Clock)
"""The one clock of the app (time zone, today, local times): handlers and pages take it from here."""
registry_key = web.AppKey("registry", CollectorRegistry)
openapi_key: web.AppKey[dict[str, Any]] = web.AppKey("openapi")
token_cache_key = web.AppKey("token_cache", TokenCache)
verifier_key = web.AppKey("password_verifier", PasswordVerifier)
resolve_key: web.AppKey[Resolve] = web.AppKey("webhook_resolve")
"""Tests swap the DNS resolver of webhook targets (unset: the system resolver)."""
error_page_key: web.AppKey[ErrorPage] = web.AppKey("error_page")
track_blocks_key: web.AppKey[dict[bytes, float]] = web.AppKey("track_blocks", dict)
"""Tracking: clients this process knows are over their miss limit (see postal.services.tracking)."""
