"""The words people read about bad input: one map for the API and the pages.

- :func:`field_errors` turns a pydantic ``ValidationError`` into :class:`~postal.errors.FieldError`
  items: ``field`` is the clean dotted JSON path integrators need (``citizen.address.ward_code``,
  ``tracking_codes.3``), ``message`` is Vietnamese. Pydantic's English never reaches anyone: an error
  type missing from :data:`MESSAGES` reads "Giá trị không hợp lệ.".
- :func:`label` names a field the way the form does ("Họ tên người dân"), and :func:`summary` joins
  errors as sentences for a problem's ``detail`` or a form's summary: "Họ tên người dân: Không được
  để trống.".

Pure (pydantic and the error tree only), so api, web and services all import it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from postal.errors import FieldError

# pydantic error type → Vietnamese; ``{name}`` placeholders come from the error's ``ctx``.
MESSAGES: dict[str, str] = {
    "missing": "Không được để trống.",
    "extra_forbidden": "Trường này không được phép.",
    "string_type": "Phải là chuỗi ký tự.",
    "string_unicode": "Chuỗi ký tự không hợp lệ (UTF-8).",
    "string_sub_type": "Phải là chuỗi ký tự.",
    "string_too_short": "Quá ngắn: cần ít nhất {min_length} ký tự.",
    "string_too_long": "Quá dài: tối đa {max_length} ký tự.",
    "string_pattern_mismatch": "Sai định dạng.",
    "int_type": "Phải là số nguyên.",
    "int_parsing": "Phải là số nguyên.",
    "int_parsing_size": "Số quá lớn.",
    "int_from_float": "Phải là số nguyên (không có phần thập phân).",
    "float_type": "Phải là số.",
    "float_parsing": "Phải là số.",
    "finite_number": "Phải là số hữu hạn.",
    "bool_type": "Phải là true hoặc false.",
    "bool_parsing": "Phải là true hoặc false.",
    "date_type": "Phải là ngày dạng YYYY-MM-DD.",
    "date_parsing": "Ngày không hợp lệ: dùng dạng YYYY-MM-DD và một ngày có thật.",
    "date_from_datetime_parsing": "Ngày không hợp lệ: dùng dạng YYYY-MM-DD và một ngày có thật.",
    "date_from_datetime_inexact": "Chỉ ghi ngày (YYYY-MM-DD), không ghi giờ.",
    "datetime_type": "Phải là thời điểm ISO 8601 có múi giờ.",
    "datetime_parsing": "Thời điểm không hợp lệ: dùng ISO 8601, ví dụ 2026-12-02T09:30:00+07:00.",
    "datetime_from_date_parsing": "Thời điểm không hợp lệ: dùng ISO 8601, ví dụ 2026-12-02T09:30:00+07:00.",
    "datetime_object_invalid": "Thời điểm không hợp lệ.",
    "timezone_aware": "Thời điểm phải có múi giờ, ví dụ +07:00.",
    "literal_error": "Phải là một trong: {expected}.",
    "enum": "Phải là một trong: {expected}.",
    "model_type": "Phải là một đối tượng JSON.",
    "model_attributes_type": "Phải là một đối tượng JSON.",
    "dict_type": "Phải là một đối tượng JSON.",
    "list_type": "Phải là một danh sách JSON.",
    "uuid_type": "Phải là UUID.",
    "uuid_parsing": "Phải là UUID, ví dụ 5f0c2b7e-1d2a-4c3b-9a8e-0b1c2d3e4f5a.",
    "uuid_version": "Phiên bản UUID không được hỗ trợ.",
    "too_short": "Quá ít phần tử: cần ít nhất {min_length}.",
    "too_long": "Quá nhiều phần tử: tối đa {max_length}.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "greater_than": "Phải lớn hơn {gt}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "multiple_of": "Phải là bội số của {multiple_of}.",
    "json_invalid": "Không phải JSON hợp lệ.",
    "json_type": "Không phải JSON hợp lệ.",
    "none_required": "Phải để trống (null).",
    "union_tag_invalid": "Loại không hợp lệ.",
    "value_error": "Giá trị không hợp lệ.",
    "assertion_error": "Giá trị không hợp lệ.",
}
FALLBACK = "Giá trị không hợp lệ."

# Field path → what a person calls it; ``*`` stands for a list index (shown counted from 1).
LABELS: dict[str, str] = {
    "body": "Nội dung yêu cầu",
    "direction": "Chiều (trả kết quả / thu gom)",
    "dossier": "Hồ sơ",
    "dossier.code": "Mã hồ sơ",
    "dossier.procedure_code": "Mã thủ tục",
    "dossier.procedure_name": "Tên thủ tục",
    "dossier.appointment_date": "Ngày hẹn trả",
    "dossier.documents": "Giấy tờ trong hồ sơ",
    "dossier.documents.*": "Giấy tờ thứ {n}",
    "dossier.documents.*.name": "Tên giấy tờ thứ {n}",
    "dossier.documents.*.kind": "Loại bản của giấy tờ thứ {n}",
    "dossier.documents.*.count": "Số lượng của giấy tờ thứ {n}",
    "citizen": "Người dân",
    "citizen.name": "Họ tên người dân",
    "citizen.phone": "Số điện thoại",
    "citizen.id_number": "Số CCCD",
    "citizen.address": "Địa chỉ",
    "citizen.address.line": "Số nhà, đường, thôn/xóm",
    "citizen.address.ward_code": "Phường/xã",
    "citizen.address.province_code": "Tỉnh/thành phố",
    "post_office_code": "Bưu cục",
    "cod_amount": "Số tiền thu hộ",
    "fee_payer": "Người trả cước",
    "fee_exemption": "Miễn giảm cước",
    "note": "Ghi chú",
    "reason": "Lý do",
    "reason_code": "Lý do phát không thành công",
    "code": "Mã bưu gửi",
    "event": "Sự kiện",
    "occurred_at": "Thời điểm sự kiện",
    "client_event_id": "Mã lần quét",
    "location": "Vị trí",
    "location.lat": "Vĩ độ",
    "location.lon": "Kinh độ",
    "proof": "Thông tin giao nhận",
    "proof.recipient_name": "Họ tên người nhận",
    "proof.relationship": "Quan hệ với người dân",
    "proof.authorization_number": "Số giấy ủy quyền",
    "proof.verification": "Xác minh người nhận",
    "proof.verification.method": "Cách xác minh",
    "proof.verification.value": "Mã xác minh",
    "scans": "Danh sách lần quét",
    "tracking_codes": "Danh sách mã bưu gửi",
    "tracking_codes.*": "Mã bưu gửi thứ {n}",
    "format": "Khổ giấy",
    "name": "Tên",
    "kind": "Loại ngày",
    "status": "Trạng thái",
    "q": "Từ khoá tìm kiếm",
    "overdue": "Quá hạn",
    "limit": "Số dòng mỗi trang",
    "cursor": "Con trỏ phân trang",
    "year": "Năm",
    "phone4": "4 số cuối điện thoại",
    "s": "Chữ ký liên kết",
    "Idempotency-Key": "Idempotency-Key",
    "from": "Từ ngày",
    "to": "Đến ngày",
    "agency": "Cơ quan",
    "new_date": "Ngày hẹn mới",
}


def message(err: Any) -> str:
    """The Vietnamese message of one pydantic error (``ErrorDetails``); never pydantic's English."""
    template = MESSAGES.get(err["type"])
    if template is None:
        return FALLBACK
    ctx = {k: _readable(v) for k, v in (err.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return re.sub(r"[:,]? ?\{\w+\}", "", template)


def _readable(value: Any) -> str:
    # literal/enum ``expected`` reads "'pickup' or 'delivery'": keep the values, drop the English "or".
    return re.sub(r"\s+or\s+", ", ", str(value))


def path(loc: Iterable[int | str]) -> str:
    """A clean dotted path from a pydantic ``loc``: union and validator tags (``function-after[…]``) dropped."""
    parts = [str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p in ("str", "int", "none")))]
    return ".".join(parts) or "body"


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """Every error of ``exc`` as a FieldError (dotted path, Vietnamese message), in pydantic's order."""
    out = []
    for err in exc.errors(include_url=False, include_input=False, include_context=True):
        out.append(FieldError(prefix + path(err["loc"]), message(err)))
    return out


def label(field: str) -> str:
    """What a person calls the field at ``field`` (its dotted path), in Vietnamese."""
    if field in LABELS:
        return LABELS[field]
    numbers = [int(n) for n in re.findall(r"(?<=\.)\d+(?=\.|$)", field)]
    pattern = re.sub(r"(?<=\.)\d+(?=\.|$)", "*", field)
    if pattern in LABELS and numbers:
        return LABELS[pattern].format(n=numbers[-1] + 1)
    return field or LABELS["body"]


def sentence(error: FieldError) -> str:
    """One error as a person reads it: "Họ tên người dân: Không được để trống."."""
    return f"{label(error.field)}: {error.message}" if error.field else error.message


def summary(errors: Sequence[FieldError], limit: int = 5) -> str:
    """The first ``limit`` errors as sentences, for a problem's ``detail``."""
    text = " ".join(sentence(e) for e in errors[:limit])
    more = len(errors) - limit
    return text + (f" (và {more} lỗi khác)" if more > 0 else "")


_ORDER = {pattern: i for i, pattern in enumerate(LABELS)}


def order_key(field: str) -> tuple[int, tuple[int, ...]]:
    """Sort key putting errors in form order (the order of :data:`LABELS`), list items by index."""
    numbers = tuple(int(n) for n in re.findall(r"(?<=\.)\d+(?=\.|$)", field))
    pattern = re.sub(r"(?<=\.)\d+(?=\.|$)", "*", field)
    return _ORDER.get(pattern, len(_ORDER)), numbers
