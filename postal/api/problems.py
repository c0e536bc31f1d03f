"""RFC 9457 problem details: the one shape of every error answer."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from postal.errors import PostalError

PROBLEM_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str, slug: str, **extra: Any) -> web.Response:
    """A problem+json response; ``extra`` members (``errors``, ``current_status``…) are added as given."""
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail, **extra}
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type=PROBLEM_TYPE,
        charset="utf-8",
    )


def from_error(exc: PostalError) -> web.Response:
    """The problem answer of a domain error."""
    extra: dict[str, Any] = {}
    if exc.errors:
        extra["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    current = getattr(exc, "current", None)
    if current is not None:
        extra["current_status"] = current
        extra["allowed_events"] = list(getattr(exc, "allowed", []))
    response = problem(exc.status, exc.title, exc.detail, exc.type_slug, **extra)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response
