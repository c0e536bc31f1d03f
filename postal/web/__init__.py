"""Server-rendered pages (Vietnamese first, phone-friendly): login, staff, courier, citizen."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from postal.domain.lifecycle import timeline_text
from postal.web import citizen, courier, login, reports, staff

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
    env.filters["event_vi"] = timeline_text
    app.router.add_static("/static", STATIC_DIR, name="static")
    for module in (login, courier, citizen, staff, reports):
        module.setup(app)
