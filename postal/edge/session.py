"""The signed-in browser: session cookie, CSRF check, and the client address rule.

The API (cookie-authenticated writes from the pages' scripts) and the pages (their forms) check the
same CSRF token the same way: the ``X-CSRF-Token`` header, or the ``csrf_token`` form field.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from postal.domain.network import client_address as forwarded_client
from postal.edge.keys import settings_key
from postal.errors import Forbidden

SESSION_COOKIE = "postal_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def check_csrf(request: web.Request, expected: str) -> None:
    """Refuse (403) a cookie-authenticated write that does not echo the session's CSRF token."""
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.content_type in _FORMS:
        sent = str((await request.post()).get(CSRF_FIELD, ""))  # aiohttp caches the parsed form
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang.")


def client_address(request: web.Request) -> str:
    """The address rate limits count: ``X-Forwarded-For`` is believed only from trusted proxies."""
    return forwarded_client(
        request.remote, request.headers.getall("X-Forwarded-For", []), request.app[settings_key].trusted_proxies
    )
