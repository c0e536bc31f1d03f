"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from postal.settings import Settings

settings_key = web.AppKey("settings", Settings)
pool_key = web.AppKey("pool", asyncpg.Pool)
track_blocks_key: web.AppKey[dict[bytes, float]] = web.AppKey("track_blocks", dict)
"""Tracking: clients this process knows are over their miss limit (see postal.services.tracking)."""
