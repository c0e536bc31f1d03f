"""Parsing request bodies and query strings with pydantic into clear 4xx errors."""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from postal.domain.messages import field_errors, summary
from postal.errors import BadRequest, InvalidInput, PayloadTooLarge

M = TypeVar("M", bound=BaseModel)

def invalid_from(exc: ValidationError, what: str = "Dữ liệu") -> InvalidInput:
    """InvalidInput naming every bad field (or BadRequest for unreadable JSON) from a pydantic error."""
    if any(e["type"] in ("json_invalid", "string_unicode") and not e["loc"] for e in exc.errors()):
        return BadRequest("Nội dung gửi lên không phải JSON hợp lệ (UTF-8).")
    errors = field_errors(exc)
    return InvalidInput(f"{what} chưa hợp lệ. {summary(errors)}", errors=errors)


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
