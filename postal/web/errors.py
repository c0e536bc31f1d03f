"""The error page of every page path: a Vietnamese title, what happened, and a way back.

The edge (:mod:`postal.edge.middleware`) calls :func:`error_page` for any
:class:`postal.errors.PostalError` raised under a page path (API paths get problem+json). The way back is
the user's home page when signed in, the sign-in page otherwise, and "try again" when the database is down
(then no session can be looked up).
"""

from __future__ import annotations

import logging

import aiohttp_jinja2
from aiohttp import web

from postal.edge.headers import PRIVATE_HEADERS
from postal.errors import PostalError, ServiceUnavailable
from postal.web.login import home_of, page_session

log = logging.getLogger(__name__)

# What a person reads under the title, when the error's own detail is written for machines.
_LEADS = {
    401: "Bạn cần đăng nhập để xem trang này.",
    403: "Tài khoản của bạn không được dùng trang này.",
    404: "Không có trang hoặc bưu gửi nào ở địa chỉ này, hoặc bạn không được xem nó.",
    405: "Trang này không nhận yêu cầu theo cách vừa gửi.",
    503: "Hệ thống đang tạm gián đoạn. Dữ liệu của bạn không bị mất; hãy thử lại sau ít giây.",
}


async def _way_back(request: web.Request, exc: PostalError) -> tuple[str, str]:
    """(link, text) of the way back."""
    if isinstance(exc, ServiceUnavailable):
        return (request.path_qs if request.method == "GET" else "/"), "Thử lại"
    try:
        found = await page_session(request)
    except Exception:  # a page about an error must not fail on the session lookup
        log.warning("session lookup failed on an error page", exc_info=True)
        found = None
    if found is None:
        return "/login", "Đăng nhập"
    return home_of(found[0]), "Về trang chính của bạn"


async def error_page(request: web.Request, exc: PostalError) -> web.Response:
    """The HTML page of an error, with the error's status."""
    back_url, back_text = await _way_back(request, exc)
    context = {"status": exc.status, "title": exc.title, "lead": _LEADS.get(exc.status, ""),
               "detail": exc.detail, "errors": exc.errors, "back_url": back_url, "back_text": back_text}
    response = aiohttp_jinja2.render_template("error.html", request, context, status=exc.status)
    response.headers.update(PRIVATE_HEADERS)
    return response
