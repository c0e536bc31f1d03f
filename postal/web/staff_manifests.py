"""Pages: the agency's handover manifests (issue 14): ``GET /staff/manifests`` lists them newest first
with their PDFs; ``POST /staff/manifests/{id}/void`` voids a mistaken one (a reason and a confirmation
box, CSRF-checked; a new row, the manifest itself unchanged) and shows the result after a redirect."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from postal.edge.keys import clock_key, pool_key
from postal.errors import FieldError, InvalidInput, NotFound, PostalError
from postal.services import manifests
from postal.web.login import staff_page
from postal.web.staff import _form, _message, _render

PAGE_SIZE = 50


async def page(request: web.Request) -> web.Response:
    """Manifests newest first, 50 a page."""
    principal, csrf = await staff_page(request)
    cursor = request.query.get("cursor") or None
    listed = await manifests.list_manifests(request.app[pool_key], principal, request.app[clock_key],
                                            limit=PAGE_SIZE, cursor=cursor)
    next_url = "/staff/manifests?" + urlencode({"cursor": listed["next_cursor"]}) if listed["next_cursor"] else None
    return _render(request, "staff_manifests.html", {"principal": principal, "csrf": csrf,
                                                     "items": listed["items"], "next_url": next_url})


async def void(request: web.Request) -> web.Response:
    """Void a manifest after the confirmation; refusals explained with a way back."""
    principal, csrf = await staff_page(request)
    form = await _form(request, csrf)
    manifest_id = request.match_info["manifest_id"]
    try:
        reason = " ".join(str(form.get("reason", "")).split())
        if not reason or len(reason) > 500:
            raise InvalidInput("Hãy ghi lý do huỷ bảng kê (tối đa 500 ký tự).",
                               errors=[FieldError("reason", "Lý do huỷ.")])
        if form.get("confirm") != "yes":
            raise InvalidInput("Hãy đánh dấu ô xác nhận trước khi huỷ bảng kê.",
                               errors=[FieldError("confirm", "Chưa xác nhận.")])
        voided = await manifests.void_manifest(request.app[pool_key], principal, manifest_id,
                                               manifests.VoidIn(reason=reason), request.app[clock_key])
    except NotFound:
        raise
    except PostalError as exc:
        return _message(request, principal, csrf, exc)
    raise web.HTTPSeeOther(f"/staff/manifests/{voided['id']}?done=voided")


def setup(app: web.Application) -> None:
    """Register this module's routes."""
    app.router.add_get("/staff/manifests", page)
    app.router.add_post("/staff/manifests/{manifest_id}/void", void)
