"""Server-rendered pages (Vietnamese first, phone-friendly): login, staff, courier, citizen."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from postal.edge.keys import error_page_key
from postal.web import citizen, courier, login, reports, staff, staff_actions, staff_manifests
from postal.web.errors import error_page
from postal.web.texts import event_label, status_label

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"


def setup_pages(app: web.Application) -> None:
    """Templates, static files, and the routes of every page module."""
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["event_vi"] = event_label
    env.filters["status_vi"] = status_label
    app.router.add_static("/static", STATIC_DIR, name="static")
    app.router.add_get("/favicon.ico", favicon)
    app[error_page_key] = error_page
    for module in (login, courier, citizen, staff, staff_actions, staff_manifests, reports):
        module.setup(app)


async def favicon(request: web.Request) -> web.FileResponse:
    """The icon browsers ask for on their own (the pages also link ``/static/favicon.svg``)."""
    return web.FileResponse(STATIC_DIR / "favicon.ico", headers={
        "Content-Type": "image/x-icon", "Cache-Control": "public, max-age=86400"})
