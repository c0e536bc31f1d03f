"""Browser fixtures: Debian's Chromium driven by Playwright against a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from postal.settings import Settings
from tests.e2e.tools import require_tool

CHROMIUM = os.environ.get("POSTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def _require_browser() -> None:
    """Skip where no Chromium is installed, unless the run demands it (CI sets POSTAL_REQUIRE_BROWSER=1)."""
    require_tool(CHROMIUM, "apt-get install chromium")


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """A headless Chromium (Playwright ``Browser``), closed after the test."""
    _require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def live_server(aiohttp_server: AiohttpServer, settings: Settings) -> TestServer:
    """The app served on a real TCP port of 127.0.0.1; ``str(live_server.make_url("/"))`` is its base URL."""
    from postal.app import create_app

    return await aiohttp_server(await create_app(settings))
