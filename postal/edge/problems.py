"""RFC 9457 problem details: the one shape of every error answer of the API."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from postal.edge.responses import dumps
from postal.errors import PostalError

PROBLEM_TYPE = "application/problem+json"


def problem_body(exc: PostalError) -> dict[str, Any]:
    """The problem members of a domain error (also one item's ``error`` in a batch answer)."""
    body: dict[str, Any] = {"type": f"/problems/{exc.type_slug}", "title": exc.title, "status": exc.status,
                            "detail": exc.detail}
    if exc.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    current = getattr(exc, "current", None)
    if current is not None:
        body["current_status"] = current
        body["allowed_events"] = list(getattr(exc, "allowed", []))
    return body


def from_error(exc: PostalError) -> web.Response:
    """The problem+json answer of a domain error, with ``Retry-After`` when it has one."""
    response = web.Response(
        status=exc.status,
        body=dumps(problem_body(exc)),
        content_type=PROBLEM_TYPE,
        charset="utf-8",
    )
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response
