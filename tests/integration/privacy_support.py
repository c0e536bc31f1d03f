"""Helpers of the personal-data tests: the access log as tuples, page sign-in."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

PASSWORD = "correct-horse-battery"


async def accesses(db: asyncpg.Connection, since_id: int = 0) -> list[tuple[str, str, str | None]]:
    """(username, action, tracking code) of the access records after ``since_id``, oldest first."""
    rows = await db.fetch(
        "SELECT u.username, l.action, s.tracking_code FROM access_log l LEFT JOIN users u ON u.id = l.user_id"
        " LEFT JOIN shipments s ON s.id = l.shipment_id WHERE l.id > $1 ORDER BY l.id", since_id)
    return [tuple(r) for r in rows]


async def last_id(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT coalesce(max(id), 0) FROM access_log"))


async def sign_in(client: Any, username: str, home: str) -> str:
    """Sign in on the pages; returns the CSRF token of ``home``."""
    resp = await client.post("/login", data={"username": username, "password": PASSWORD}, allow_redirects=False)
    assert resp.status == 302, await resp.text()
    html = await (await client.get(home)).text()
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)
