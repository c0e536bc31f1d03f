"""Handlers of the scans API: one scan, a batch from an offline device, and a scan's signature or photo."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from postal.api.auth import require
from postal.api.openapi import Operation
from postal.api.schemas import EventOut, _Out
from postal.api.validation import invalid_from, parse_body
from postal.domain.access import Principal
from postal.edge.keys import clock_key, pool_key
from postal.edge.problems import problem_body
from postal.edge.responses import json_response
from postal.errors import InvalidInput, PayloadTooLarge, PostalError
from postal.services import attachments, recording
from postal.store.database import is_unavailable

log = logging.getLogger(__name__)


class ScanShipmentOut(_Out):
    """The shipment after a scan: its status and what may be recorded next."""

    tracking_code: str
    direction: str
    status: str
    status_text: str
    failed_attempts: int
    allowed_events: list[str]


class ScanOut(_Out):
    """201 (new event) or 200 (replay of the same ``client_event_id``)."""

    event: EventOut
    status: str
    shipment: ScanShipmentOut


class BatchResultOut(_Out):
    client_event_id: str | None
    status: int
    event: EventOut | None = None
    error: dict[str, Any] | None = None


class BatchOut(_Out):
    results: list[BatchResultOut]


class AttachmentOut(_Out):
    id: int
    client_event_id: str
    tracking_code: str
    kind: str
    media_type: str
    size_bytes: int
    sha256: str


class AttachmentQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: str = "signature"


_STATUS = {recording.Recorded.created: 201, recording.Recorded.replayed: 200}
"""The HTTP status of each recording outcome: a new event is created, a replay is the stored one."""


async def scan(request: web.Request) -> web.Response:
    principal = await require(request, *recording.RECORDERS)
    body = await parse_body(request, recording.ScanIn)
    outcome = await recording.record_scan(request.app[pool_key], principal, body, request.app[clock_key])
    return json_response(outcome.body, status=_STATUS[outcome.recorded])


def _item_id(item: Any) -> str | None:
    value = item.get("client_event_id") if isinstance(item, dict) else None
    return value if isinstance(value, str) else None


async def _batch_item(request: web.Request, principal: Principal, index: int, item: Any) -> dict[str, Any]:
    """One batch item in its own transaction; its failure is its own result."""
    client_event_id = _item_id(item)
    try:
        try:
            parsed = recording.ScanIn.model_validate_json(json.dumps(item), strict=True)
        except ValidationError as exc:
            raise invalid_from(exc, f"Mục {index}") from None
        outcome = await recording.record_scan(request.app[pool_key], principal, parsed, request.app[clock_key])
    except PostalError as exc:
        return {"client_event_id": client_event_id, "status": exc.status, "error": problem_body(exc)}
    except Exception as exc:
        if is_unavailable(exc):
            raise  # the database is gone for every item: the whole batch answers 503, to be sent again
        log.exception("batch item failed", extra={"index": index})
        return {"client_event_id": client_event_id, "status": 500,
                "error": {"type": "/problems/internal", "title": "Lỗi hệ thống", "status": 500,
                          "detail": "Lỗi phía máy chủ khi ghi mục này; hãy gửi lại."}}
    return {"client_event_id": str(parsed.client_event_id), "status": _STATUS[outcome.recorded],
            "event": outcome.body["event"], "shipment": outcome.body["shipment"]}


async def batch(request: web.Request) -> web.Response:
    principal = await require(request, *recording.RECORDERS)
    body = await parse_body(request, recording.ScanBatchIn)
    results = [await _batch_item(request, principal, i, item) for i, item in enumerate(body.scans)]
    return json_response({"results": results})


async def _read_limited(request: web.Request, limit: int) -> bytes:
    """The raw body, refused with 413 past ``limit`` bytes (read as a stream: the app's JSON limit is smaller)."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"Ảnh tối đa {limit // (1024 * 1024)} MB.")
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Ảnh tối đa {limit // (1024 * 1024)} MB.")
        chunks.append(chunk)
    return b"".join(chunks)


async def attachment(request: web.Request) -> web.Response:
    principal = await require(request, *recording.RECORDERS)
    kind = request.query.get("kind", "signature")
    data = await _read_limited(request, attachments.MAX_ATTACHMENT_BYTES)
    if not data:
        raise InvalidInput("Thiếu nội dung ảnh (gửi thẳng tệp PNG/JPEG làm thân yêu cầu).")
    result, created = await attachments.attach(
        request.app[pool_key], principal, request.match_info["client_event_id"], kind, data
    )
    return json_response(result, status=201 if created else 200)


OPERATIONS = [
    Operation("POST", "/scans", scan, "Bưu tá ghi nhận một lần quét (sự kiện hành trình)",
              {201: ScanOut, 200: ScanOut}, body=recording.ScanIn, errors=(400, 401, 403, 404, 409, 422, 423),
              tags=("scans",)),
    Operation("POST", "/scans/batch", batch, "Đồng bộ tối đa 500 lần quét từ thiết bị ngoại tuyến",
              {200: BatchOut}, body=recording.ScanBatchIn, tags=("scans",)),
    Operation("POST", "/scans/{client_event_id}/attachment", attachment,
              "Đính kèm chữ ký hoặc ảnh (PNG/JPEG, tối đa 2 MB) vào một lần quét; ?kind=signature|photo",
              {201: AttachmentOut, 200: AttachmentOut}, query=AttachmentQuery,
              errors=(400, 401, 403, 404, 409, 413, 422), tags=("scans",)),
]
