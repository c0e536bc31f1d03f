"""Pages: the courier's phone page (``/courier``), the item action page (``/courier/items/{code}``) and
the photo decoder for phones without ``BarcodeDetector`` (``POST /courier/decode``).

The pages only show; every scan goes from ``static/courier.js`` to ``/api/v1/scans`` (or, from the
offline queue, ``/api/v1/scans/batch``) with the session cookie and the CSRF header.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp_jinja2
from aiohttp import BodyPartReader, web

from postal.domain.access import Principal, Role
from postal.edge.headers import PRIVATE_HEADERS
from postal.edge.keys import clock_key, pool_key
from postal.edge.session import check_csrf
from postal.errors import InvalidInput, NotFound, PayloadTooLarge
from postal.services import courier, payments, photos, recording
from postal.services.views import Clock
from postal.web.login import page_principal
from postal.web.texts import STATUS_LABELS

# The list's groups, the most pressing work first; statuses not named here follow in their own groups.
GROUP_ORDER = ("out_for_delivery", "delivery_failed", "in_transit", "picked_up", "created")
MAX_QUERY = 100


async def _courier(request: web.Request) -> tuple[Principal, str]:
    """The courier's page area: couriers only."""
    return await page_principal(request, (Role.courier,), "Trang này dành cho bưu tá.")




def _render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers.update(PRIVATE_HEADERS)
    return response


def _clock(request: web.Request) -> Clock:
    return request.app[clock_key]


def _groups(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items grouped by status (names from :mod:`postal.web.texts`, as on the staff pages)."""
    order = [s for s in GROUP_ORDER if any(i["status"] == s for i in items)]
    order += sorted({i["status"] for i in items} - set(order))
    return [{"status": s, "label": STATUS_LABELS.get(s, s), "items": [i for i in items if i["status"] == s]}
            for s in order]


async def home(request: web.Request) -> web.Response:
    """Today's items of the courier's post office grouped by status, the search, the scan box and
    the offline queue. ``?q=`` filters on the server (works without JavaScript)."""
    principal, csrf = await _courier(request)
    q = " ".join(request.query.get("q", "").split())[:MAX_QUERY]
    items = await courier.courier_items(request.app[pool_key], principal, _clock(request), q)
    return _render(request, "courier.html", {
        "principal": principal, "csrf": csrf, "items": items, "groups": _groups(items), "q": q,
        "overdue_count": sum(1 for i in items if i["overdue"]),
        "reasons": recording.FAILURE_REASONS,
    })


async def item(request: web.Request) -> web.Response:
    """One item with only the actions its status allows, the proof form and the failure reasons."""
    principal, csrf = await _courier(request)
    try:
        shipment = await courier.courier_item(
            request.app[pool_key], principal, request.match_info["code"], _clock(request)
        )
    except NotFound as exc:
        return _render(request, "courier_missing.html", {"principal": principal, "csrf": csrf,
                                                         "detail": exc.detail}, status=404)
    return _render(request, "courier_item.html", {
        "principal": principal, "csrf": csrf, "s": shipment, "reasons": recording.FAILURE_REASONS,
        "paid_online": await payments.is_paid(request.app[pool_key], shipment["tracking_code"]),
    })


async def _upload(request: web.Request) -> bytes:
    """The first file of a multipart form, read as a stream within the decoder's size limit."""
    limit = photos.MAX_DECODE_BYTES
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise PayloadTooLarge(f"Ảnh tối đa {limit // (1024 * 1024)} MB.")
    if not request.content_type.startswith("multipart/"):
        raise InvalidInput("Gửi ảnh dạng multipart/form-data (trường 'photo').")
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and part.filename is not None:
            data = bytearray()
            while chunk := await part.read_chunk(64 * 1024):
                data += chunk
                if len(data) > limit:
                    raise PayloadTooLarge(f"Ảnh tối đa {limit // (1024 * 1024)} MB.")
            return bytes(data)
    raise InvalidInput("Thiếu ảnh (trường 'photo').")


async def decode(request: web.Request) -> web.Response:
    """Decode the QR code or barcode in a photo (for Safari on iPhone); the photo is not kept."""
    _principal, csrf = await _courier(request)
    await check_csrf(request, csrf)
    data = await _upload(request)
    found = await asyncio.to_thread(photos.decode_codes, data)  # CPU work off the event loop
    if not found:
        raise NotFound("Không đọc được mã trong ảnh: chụp gần hơn, đủ sáng, mã nằm trọn trong khung.")
    return web.json_response({"codes": found, "code": found[0]}, headers=PRIVATE_HEADERS)


def setup(app: web.Application) -> None:
    """Register this module's routes."""
    app.router.add_get("/courier", home)
    app.router.add_get("/courier/items/{code}", item)
    app.router.add_post("/courier/decode", decode)
