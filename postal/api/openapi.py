"""The operations table and the OpenAPI 3.1 document generated from it and the pydantic models."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from postal.api.schemas import Problem

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Media = Literal["pdf", "csv", "text"]
_ERROR_STATUSES = {
    400: "Yêu cầu không đọc được",
    401: "Chưa đăng nhập",
    403: "Không có quyền",
    404: "Không tìm thấy",
    409: "Xung đột trạng thái",
    413: "Dữ liệu quá lớn",
    415: "Kiểu nội dung không hỗ trợ",
    422: "Dữ liệu không hợp lệ",
    423: "Đã khoá",
    429: "Quá nhiều yêu cầu",
}


@dataclass(frozen=True)
class Operation:
    """One API operation: its route, its handler and what it takes and answers."""

    method: str
    path: str
    handler: Handler
    summary: str
    responses: dict[int, type[BaseModel] | Media | None]  # None: no body (204)
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = (400, 401, 403, 404, 422)
    public: bool = False
    headers: tuple[str, ...] = ()
    tags: tuple[str, ...] = field(default=())


def _path_params(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 200}}
        for name in re.findall(r"{(\w+)[^}]*}", path)
    ]


def _query_params(model: type[BaseModel] | None, defs: dict[str, Any]) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    defs.update(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _no_nul(prop)}
        for name, prop in schema.get("properties", {}).items()
    ]


def _no_nul(schema: dict[str, Any]) -> dict[str, Any]:
    """Query strings may not carry NUL (PostgreSQL text cannot hold it): say so in every free string's schema."""
    if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & schema.keys():
        return {**schema, "pattern": "^[^\\u0000]*$"}
    if "anyOf" in schema:
        return {**schema, "anyOf": [_no_nul(s) for s in schema["anyOf"]]}
    return schema


def _media(kind: Media) -> dict[str, Any]:
    types = {"pdf": "application/pdf", "csv": "text/csv", "text": "text/plain"}
    return {types[kind]: {"schema": {"type": "string"}}}


def _responses(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, what in op.responses.items():
        if what is None:
            out[str(status)] = {"description": "No content"}
            continue
        if isinstance(what, str):
            content = _media(what)
        else:
            content = {"application/json": {"schema": refs[(what, "serialization")]}}
        out[str(status)] = {"description": "OK" if status < 300 else str(status), "content": content}
    problem = {"application/problem+json": {"schema": refs[(Problem, "serialization")]}}
    statuses = set(op.errors) | {413} if op.body else set(op.errors)
    for status in sorted(statuses):
        out[str(status)] = {"description": _ERROR_STATUSES.get(status, "Lỗi"), "content": problem}
    return out


def _operation(op: Operation, refs: dict[Any, Any], defs: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "summary": op.summary,
        "operationId": f"{op.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', op.path.lower()).strip('_')}",
        "parameters": _path_params(op.path) + _query_params(op.query, defs) + [
            {"name": h, "in": "header", "required": False, "schema": {"type": "string", "maxLength": 200}}
            for h in op.headers
        ],
        "responses": _responses(op, refs),
    }
    if op.tags:
        doc["tags"] = list(op.tags)
    if op.public:
        doc["security"] = []
    if op.body is not None:
        doc["requestBody"] = {"required": True,
                              "content": {"application/json": {"schema": refs[(op.body, "validation")]}}}
    return doc


def openapi_document(operations: list[Operation], prefix: str, version: str) -> dict[str, Any]:
    """OpenAPI 3.1 for ``operations``, schemas generated from their pydantic models."""
    models: set[tuple[type[BaseModel], JsonSchemaMode]] = {(Problem, "serialization")}
    for op in operations:
        models |= {(m, "serialization") for m in op.responses.values() if m is not None and not isinstance(m, str)}
        if op.body is not None:
            models.add((op.body, "validation"))
    refs, top = models_json_schema(sorted(models, key=lambda m: (m[0].__name__, m[1])),
                                   ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = dict(top.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(prefix + re.sub(r"{(\w+)[^}]*}", r"{\1}", op.path), {})[op.method.lower()] = (
            _operation(op, refs, defs)
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": "postal — thu gom hồ sơ và phát trả kết quả qua bưu chính", "version": version},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }
