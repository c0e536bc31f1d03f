"""Parsing request bodies and query strings with pydantic into clear 4xx errors."""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from postal.errors import BadRequest, FieldError, InvalidInput, PayloadTooLarge

M = TypeVar("M", bound=BaseModel)

# Vietnamese messages for pydantic's error types a clerk or integrator meets most.
_MESSAGES = {
    "missing": "Thiếu trường bắt buộc.",
    "string_type": "Phải là chuỗi ký tự.",
    "int_type": "Phải là số nguyên.",
    "int_parsing": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên.",
    "bool_type": "Phải là true hoặc false.",
    "bool_parsing": "Phải là true hoặc false.",
    "float_type": "Phải là số.",
    "float_parsing": "Phải là số.",
    "date_type": "Phải là ngày dạng YYYY-MM-DD.",
    "date_parsing": "Ngày không hợp lệ (dạng YYYY-MM-DD, ngày có thật).",
    "date_from_datetime_parsing": "Ngày không hợp lệ (dạng YYYY-MM-DD, ngày có thật).",
    "datetime_type": "Phải là thời điểm ISO 8601 có múi giờ.",
    "datetime_parsing": "Thời điểm không hợp lệ (ISO 8601, ví dụ 2026-12-02T09:30:00+07:00).",
    "datetime_from_date_parsing": "Thời điểm không hợp lệ (ISO 8601, ví dụ 2026-12-02T09:30:00+07:00).",
    "timezone_aware": "Thời điểm phải có múi giờ (ví dụ +07:00).",
    "literal_error": "Giá trị không nằm trong danh sách cho phép.",
    "enum": "Giá trị không nằm trong danh sách cho phép.",
    "model_type": "Phải là một đối tượng JSON.",
    "model_attributes_type": "Phải là một đối tượng JSON.",
    "dict_type": "Phải là một đối tượng JSON.",
    "list_type": "Phải là một danh sách JSON.",
    "uuid_parsing": "Phải là UUID.",
    "uuid_type": "Phải là UUID.",
    "string_too_long": "Quá dài.",
    "string_too_short": "Quá ngắn.",
    "too_long": "Quá nhiều phần tử.",
    "too_short": "Quá ít phần tử.",
    "greater_than_equal": "Giá trị quá nhỏ.",
    "less_than_equal": "Giá trị quá lớn.",
    "greater_than": "Giá trị quá nhỏ.",
    "less_than": "Giá trị quá lớn.",
}


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic errors as dotted field paths with Vietnamese messages (English detail kept in brackets)."""
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in err["loc"]) or "body"
        message = _MESSAGES.get(err["type"])
        out.append(FieldError(field, f"{message} ({err['msg']})" if message else err["msg"]))
    return out


def invalid_from(exc: ValidationError, what: str = "Dữ liệu") -> InvalidInput:
    """InvalidInput (or BadRequest for unreadable JSON) from a pydantic error."""
    if any(e["type"] == "json_invalid" for e in exc.errors()):
        return BadRequest("Nội dung gửi lên không phải JSON hợp lệ (UTF-8).")
    errors = field_errors(exc)
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return InvalidInput(f"{what} không hợp lệ — {summary}", errors=errors)


async def read_body(request: web.Request) -> bytes:
    """The raw body, within the configured size limit."""
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(f"Dữ liệu gửi lên vượt quá {request.app._client_max_size} byte.") from None
    if not body.strip():
        raise BadRequest("Thiếu nội dung JSON trong yêu cầu.")
    return body


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The JSON body as ``model``, strictly typed, or a 400/422 problem naming the fields."""
    body = await read_body(request)
    try:
        return model.model_validate_json(body, strict=True)
    except ValidationError as exc:
        raise invalid_from(exc) from None


def parse_query(request: web.Request, model: type[M]) -> M:
    """The query string as ``model`` (query values are text, so types are coerced)."""
    data: dict[str, Any] = {}
    for key, value in request.query.items():
        if "\x00" in key or "\x00" in value:
            raise BadRequest("Tham số truy vấn chứa ký tự NUL.")
        data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from(exc, "Tham số truy vấn") from None
