"""Pages: citizen (routes added by its own change)."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Register this module's routes."""
