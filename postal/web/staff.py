"""Pages: the staff console (``/staff``, SPEC §8) for one-stop staff and admins.

- ``GET /staff``: the agency's shipments with filters (status, direction, ``q``, overdue), overdue rows
  highlighted, cursor pagination, and checkboxes to print many slips or make a manifest.
- ``GET|POST /staff/new``: the create-order form; province and ward pickers (the ward list comes from
  ``GET /staff/wards?province=NN``; with JavaScript off a ward-code text box does the same), errors
  shown next to their fields. A hidden idempotency key makes a double submit create one order.
- ``GET /staff/shipments/{code}``: one shipment, its timeline and print history, print links, cancel.
- ``POST /staff/print`` (a PDF download), ``POST /staff/manifests`` → ``GET /staff/manifests/{id}``.

Every form carries the session's CSRF token (``csrf_token``); reads and writes go through the same
services as the API (:mod:`postal.services.shipments`, :mod:`postal.services.printing`).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiMapping
from pydantic import ValidationError

from postal.domain import search
from postal.domain.access import Principal, Role
from postal.domain.address import provinces, wards_of
from postal.domain.lifecycle import Status
from postal.domain.messages import order_key, sentence
from postal.domain.privacy import Access
from postal.edge.headers import PRIVATE_HEADERS
from postal.edge.keys import clock_key, pool_key
from postal.edge.session import check_csrf
from postal.errors import BadRequest, Conflict, FieldError, Forbidden, InvalidInput, NotFound, PostalError
from postal.services import console, manifests, notifications, printing, proofs, shipment_creation, shipments
from postal.services.views import Clock
from postal.web.login import staff_page
from postal.web.texts import STATUS_LABELS, event_label

PAGE_SIZE = 50
PAGE_SIZES = (20, 50, 100)
DOCUMENT_ROWS = 5

DONE_MESSAGES = {
    "cancelled": "Đã huỷ đơn.",
    "unlocked": "Đã mở khoá giao nhận: bưu tá có thể xác minh lại người nhận.",
    "returned": "Đã yêu cầu chuyển hoàn bưu gửi về cơ quan.",
    "rescheduled": "Đã hẹn lại ngày trả kết quả; công dân được báo và có thư xin lỗi để in.",
}
DIRECTION_LABELS = {"delivery": "Trả kết quả", "pickup": "Thu gom hồ sơ"}
DOCUMENT_LABELS = {"label": "Nhãn", "labels": "Nhãn (in nhiều)", "pickup_slip": "Phiếu gửi hồ sơ",
                   "manifest": "Bảng kê"}

# ---------------------------------------------------------------------------
# Helpers




async def _form(request: web.Request, csrf: str) -> MultiMapping[Any]:
    """The posted form, after checking that it echoes the session's CSRF token."""
    form = await request.post()
    await check_csrf(request, csrf)
    return form


def _clock(request: web.Request) -> Clock:
    return request.app[clock_key]


def _render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    base = {"status_labels": STATUS_LABELS, "direction_labels": DIRECTION_LABELS}
    response = aiohttp_jinja2.render_template(template, request, base | context, status=status)
    response.headers.update(PRIVATE_HEADERS)
    return response


def _message(request: web.Request, principal: Principal, csrf: str, exc: PostalError) -> web.Response:
    """A refused action explained, with every named field, and a way back."""
    return _render(request, "staff_message.html", {
        "principal": principal, "csrf": csrf, "title": exc.title, "detail": exc.detail,
        "errors": exc.errors, "back": _back(request),
    }, status=exc.status)


def _back(request: web.Request) -> str:
    """The staff page the form was sent from (same host only), or the list."""
    ref = urlsplit(request.headers.get("Referer", ""))
    if ref.path.startswith("/staff") and ref.netloc in ("", request.host):
        return ref.path + (f"?{ref.query}" if ref.query else "")
    return "/staff"


# ---------------------------------------------------------------------------
# List


def _list_query(request: web.Request) -> shipments.ListQuery:
    raw = {k: v for k, v in request.query.items() if k in ("status", "direction", "q", "overdue", "cursor") and v}
    size = request.query.get("limit", "")
    limit = int(size) if size.isdigit() and int(size) in PAGE_SIZES else PAGE_SIZE
    try:
        return shipments.ListQuery.model_validate({**raw, "limit": limit})
    except ValidationError:
        raise BadRequest("Bộ lọc không hợp lệ; hãy chọn lại từ danh sách.") from None


def _next_url(query: shipments.ListQuery, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return "/staff?" + urlencode({**_filters(query), "cursor": cursor})


def _filters(query: shipments.ListQuery) -> dict[str, str]:
    """The list's filters and page size as URL parameters (so a link or reload keeps them)."""
    params = query.model_dump(include={"status", "direction", "q", "overdue", "limit"}, exclude_none=True, mode="json")
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}


async def home(request: web.Request) -> web.Response:
    """The list with filters, overdue highlight, pagination, and the print/manifest form."""
    principal, csrf = await staff_page(request)
    query = _list_query(request)
    pool = request.app[pool_key]
    page = await shipments.list_shipments(pool, principal, query, _clock(request), Access.staff_list)
    defaults = await console.form_defaults(pool, principal)
    return _render(request, "staff_list.html", {
        "principal": principal, "csrf": csrf, "items": page["items"], "query": query,
        "next_url": _next_url(query, page["next_cursor"]), "first_page": query.cursor is None,
        "first_url": "/staff?" + urlencode(_filters(query)), "page_sizes": PAGE_SIZES,
        "on_manifest": await manifests.live_manifests(pool, [s["id"] for s in page["items"]]),
        "post_offices": await console.post_office_choices(pool), "default_office": defaults.post_office_code,
        "statuses": [s.value for s in Status],
    })


# ---------------------------------------------------------------------------
# Create


def _documents(form: MultiMapping[Any]) -> list[dict[str, str]]:
    rows = []
    for i in range(DOCUMENT_ROWS):
        name = str(form.get(f"doc.{i}.name", "")).strip()
        if name:
            rows.append({"name": name, "kind": str(form.get(f"doc.{i}.kind", "copy")),
                         "count": str(form.get(f"doc.{i}.count", "") or "1")})
    return rows


def _field(form: MultiMapping[Any], name: str) -> str:
    return str(form.get(name, "")).strip()


def _iso_date(text: str) -> str:
    """``dd/mm/yyyy`` as typed on the form → ``yyyy-mm-dd``; anything else unchanged (the service names it)."""
    day, _, rest = text.partition("/")
    month, _, year = rest.partition("/")
    if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


def _create_body(form: MultiMapping[Any]) -> dict[str, Any]:
    """The form's flat fields as the nested body of ``POST /shipments``."""
    ward = _field(form, "ward_code_manual") or _field(form, "citizen.address.ward_code")
    return {
        "direction": _field(form, "direction"),
        "dossier": {
            "code": _field(form, "dossier.code"), "procedure_code": _field(form, "dossier.procedure_code"),
            "procedure_name": _field(form, "dossier.procedure_name"),
            "appointment_date": _iso_date(_field(form, "dossier.appointment_date")) or None,
            "documents": _documents(form),
        },
        "citizen": {
            "name": _field(form, "citizen.name"), "phone": _field(form, "citizen.phone"),
            "id_number": _field(form, "citizen.id_number") or None,
            "address": {"line": _field(form, "citizen.address.line"), "ward_code": ward,
                        "province_code": _field(form, "citizen.address.province_code")},
        },
        "post_office_code": _field(form, "post_office_code") or None,
        "cod_amount": _field(form, "cod_amount") or "0",
        "fee_payer": _field(form, "fee_payer") or "citizen",
        "fee_exemption": _field(form, "fee_exemption") or "none",
        "note": str(form.get("note", "")).strip(),
    }


def _errors_by_field(errors: list[FieldError]) -> dict[str, str]:
    """field → message, with the ward error also shown under the manual ward box."""
    by_field: dict[str, str] = {}
    for e in errors:
        by_field.setdefault(e.field or "form", e.message)
    return by_field


async def _new_form(
    request: web.Request, principal: Principal, csrf: str, values: dict[str, str],
    errors: list[FieldError] | None = None, status: int = 200,
) -> web.Response:
    pool = request.app[pool_key]
    province = values.get("citizen.address.province_code") or ""
    try:
        wards = wards_of(province) if province else []
    except InvalidInput:
        wards = []
    return _render(request, "staff_new.html", {
        "principal": principal, "csrf": csrf, "v": values, "errors": _errors_by_field(errors or []),
        "error_list": [{"field": e.field, "text": sentence(e)} for e in errors or []],
        "provinces": provinces(), "wards": wards,
        "post_offices": await console.post_office_choices(pool), "document_rows": range(DOCUMENT_ROWS),
        "idempotency_key": values.get("idempotency_key") or uuid.uuid4().hex,
    }, status=status)


def _admins_do_not_create(request: web.Request, principal: Principal, csrf: str) -> web.Response | None:
    if principal.role is Role.staff:
        return None
    return _message(request, principal, csrf, Forbidden(
        "Quản trị viên không thuộc cơ quan nào nên không tạo đơn; hãy dùng tài khoản cán bộ một cửa."))


async def new_form(request: web.Request) -> web.Response:
    """The empty create-order form, starting at the agency's province and post office."""
    principal, csrf = await staff_page(request)
    if refused := _admins_do_not_create(request, principal, csrf):
        return refused
    defaults = await console.form_defaults(request.app[pool_key], principal)
    values = {"direction": "delivery", "citizen.address.province_code": defaults.province_code,
              "post_office_code": defaults.post_office_code, "cod_amount": "0"}
    return await _new_form(request, principal, csrf, values)


async def new_submit(request: web.Request) -> web.Response:
    """Create the order (same rules as the API); on errors show the form again with every message."""
    principal, csrf = await staff_page(request)
    form = await _form(request, csrf)
    if refused := _admins_do_not_create(request, principal, csrf):
        return refused
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    try:
        created = await shipment_creation.create_shipment(request.app[pool_key], principal, _create_body(form),
                                                  _clock(request), _field(form, "idempotency_key")[:200] or None)
    except (InvalidInput, Conflict) as exc:
        errors = sorted(exc.errors or [FieldError("", exc.detail)], key=lambda e: order_key(e.field))
        return await _new_form(request, principal, csrf, values, errors, status=exc.status)
    raise web.HTTPSeeOther(f"/staff/shipments/{created.shipment['tracking_code']}?created=1")


async def wards(request: web.Request) -> web.Response:
    """The wards/communes of a province, for the address picker."""
    await staff_page(request)
    province = request.query.get("province", "")
    items = [{"code": code, "name": name} for code, name in wards_of(province)]
    return web.json_response({"province_code": province, "wards": items},
                             headers={"Cache-Control": "private, max-age=3600"})


async def ward_search(request: web.Request) -> web.Response:
    """Up to 20 wards of the whole country matching ``q`` (accent-insensitive words or a code prefix)."""
    await staff_page(request)
    q = request.query.get("q", "")[:80]
    return web.json_response({"q": q, "wards": search.search_wards(q)},
                             headers={"Cache-Control": "private, max-age=3600"})


# ---------------------------------------------------------------------------
# Detail and cancel


def _timeline(shipment: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**e, "text": event_label(e["event"])} for e in shipment["events"]]


async def detail(request: web.Request, error: PostalError | None = None) -> web.Response:
    """One shipment: facts, timeline, print history, print links and the cancel button."""
    principal, csrf = await staff_page(request)
    pool, clock, code = request.app[pool_key], _clock(request), request.match_info["code"]
    shipment = await shipments.get_shipment(pool, principal, code, clock, Access.staff_detail)
    history = await printing.print_history(pool, principal, shipment["tracking_code"], clock)
    messages = await notifications.shipment_log(pool, principal, shipment["tracking_code"], clock)
    handover = await proofs.handover_proofs(pool, principal, shipment["tracking_code"], clock)
    return _render(request, "staff_detail.html", {
        "principal": principal, "csrf": csrf, "s": shipment, "timeline": _timeline(shipment),
        "prints": history["items"], "document_labels": DOCUMENT_LABELS, "error": error,
        "created": request.query.get("created") == "1", "messages": messages["items"],
        "message_labels": MESSAGE_LABELS, "resent": request.query.get("resent") == "1",
        "proofs": handover["items"], "locked": handover["locked"],
        "done": DONE_MESSAGES.get(request.query.get("done", "")),
        "exemption_labels": EXEMPTION_LABELS, "payer_labels": PAYER_LABELS, "format_labels": FORMAT_LABELS,
        "relationship_labels": RELATIONSHIP_LABELS, "method_labels": METHOD_LABELS,
    }, status=error.status if error else 200)


FORMAT_LABELS = {"a6": "A6", "a4": "A4, 4 nhãn/tờ", "100x150": "nhãn nhiệt 100×150"}
RELATIONSHIP_LABELS = {"self": "Chính chủ", "authorized": "Người được uỷ quyền"}
METHOD_LABELS = {"id_last4": "4 số cuối CCCD", "otp": "Mã xác nhận gửi qua tin nhắn", "id_check": "Kiểm tra giấy tờ"}
EXEMPTION_LABELS = {"none": "Không miễn giảm", "half": "Giảm 50 % cước", "full": "Miễn cước"}
PAYER_LABELS = {"citizen": "Công dân trả cước", "agency": "Cơ quan trả cước"}
MESSAGE_LABELS = {"otp": "Mã xác nhận giao nhận", "picked_up": "Đã nhận hồ sơ", "delivered": "Đã giao",
                  "delivery_failed": "Giao không thành công", "late": "Trễ hẹn / hẹn lại",
                  "pending": "đang chờ gửi", "sent": "đã gửi", "failed": "không gửi được",
                  "skipped": "bỏ qua (mã đã thay hoặc hết hạn)"}


async def resend_otp(request: web.Request) -> web.Response:
    """A new one-time code to the citizen (the old one stops working); refusals shown on the detail page."""
    principal, csrf = await staff_page(request)
    await _form(request, csrf)
    code = request.match_info["code"]
    try:
        sent = await notifications.resend_otp(request.app[pool_key], principal, code, _clock(request))
    except NotFound:
        raise  # not this agency's, or no such code: the 404 page, not the detail page
    except PostalError as exc:
        return await detail(request, exc)
    raise web.HTTPSeeOther(f"/staff/shipments/{sent['tracking_code']}?resent=1")


async def cancel(request: web.Request) -> web.Response:
    """Cancel an order still in ``created`` (after the confirmation box); otherwise show why not."""
    principal, csrf = await staff_page(request)
    form = await _form(request, csrf)
    code = request.match_info["code"]
    try:
        if form.get("confirm") != "yes":
            raise InvalidInput("Hãy đánh dấu ô xác nhận trước khi huỷ đơn.",
                               errors=[FieldError("confirm", "Chưa xác nhận.")])
        shipment = await shipments.cancel_shipment(request.app[pool_key], principal, code, _clock(request))
    except NotFound:
        raise  # not this agency's, or no such code: the 404 page, not the detail page
    except PostalError as exc:
        return await detail(request, exc)
    raise web.HTTPSeeOther(f"/staff/shipments/{shipment['tracking_code']}?done=cancelled")


# ---------------------------------------------------------------------------
# Printing and manifests


def _codes(form: MultiMapping[Any]) -> list[str]:
    return [str(c) for c in form.getall("codes", [])][: printing.MAX_BATCH + 1]


def _nothing_chosen() -> InvalidInput:
    return InvalidInput("Chưa chọn bưu gửi nào: đánh dấu các ô ở đầu dòng rồi bấm lại.",
                        errors=[FieldError("tracking_codes", "Chưa chọn bưu gửi nào.")])


async def print_many(request: web.Request) -> web.StreamResponse:
    """The chosen shipments' slips as one PDF download (A6 pages or A4 sheets of four)."""
    principal, csrf = await staff_page(request)
    form = await _form(request, csrf)
    try:
        if not _codes(form):
            raise _nothing_chosen()
        batch = printing.LabelBatch.model_validate({"tracking_codes": _codes(form),
                                                    "format": str(form.get("format", "a6"))})
        pdf = await printing.labels_pdf(request.app[pool_key], principal, batch, _clock(request))
    except ValidationError:
        return _message(request, principal, csrf, InvalidInput("Khổ giấy hoặc số lượng không hợp lệ (tối đa 500)."))
    except PostalError as exc:
        return _message(request, principal, csrf, exc)
    return web.Response(body=pdf.data, content_type="application/pdf", headers={
        **PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{pdf.filename}"'})


async def manifest_create(request: web.Request) -> web.Response:
    """A handover manifest of the chosen shipments for the chosen post office."""
    principal, csrf = await staff_page(request)
    form = await _form(request, csrf)
    try:
        if not _codes(form):
            raise _nothing_chosen()
        cmd = manifests.ManifestIn.model_validate({"tracking_codes": _codes(form),
                                                  "post_office_code": str(form.get("post_office_code", ""))})
        manifest = await manifests.create_manifest(request.app[pool_key], principal, cmd, _clock(request))
    except ValidationError:
        return _message(request, principal, csrf, InvalidInput("Chọn bưu cục và tối đa 500 bưu gửi."))
    except PostalError as exc:
        return _message(request, principal, csrf, exc)
    raise web.HTTPSeeOther(f"/staff/manifests/{manifest['id']}")


async def manifest_page(request: web.Request) -> web.Response:
    """A manifest: its shipments and the link to its PDF."""
    principal, csrf = await staff_page(request)
    manifest = await manifests.get_manifest(request.app[pool_key], principal, request.match_info["manifest_id"],
                                           _clock(request))
    return _render(request, "staff_manifest.html", {"principal": principal, "csrf": csrf, "m": manifest,
                                                    "voided_now": request.query.get("done") == "voided"})


def setup(app: web.Application) -> None:
    """Register this module's routes."""
    app.router.add_get("/staff", home)
    app.router.add_get("/staff/new", new_form)
    app.router.add_post("/staff/new", new_submit)
    app.router.add_get("/staff/wards", wards)
    app.router.add_get("/staff/wards/search", ward_search)
    app.router.add_get("/staff/shipments/{code}", detail)
    app.router.add_post("/staff/shipments/{code}/cancel", cancel)
    app.router.add_post("/staff/shipments/{code}/otp/resend", resend_otp)
    app.router.add_post("/staff/print", print_many)
    app.router.add_post("/staff/manifests", manifest_create)
    app.router.add_get("/staff/manifests/{manifest_id}", manifest_page)
