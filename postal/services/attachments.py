"""Attachments of a scan (SPEC §5): a signature or photo per event and kind, PNG or JPEG recognised
by content, at most :data:`MAX_ATTACHMENT_BYTES`; only on events of the courier's own post office."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import asyncpg

from postal.domain import codes
from postal.domain.access import Principal
from postal.errors import Conflict, NotFound, PayloadTooLarge
from postal.services.photos import sniff_image
from postal.services.recording import RECORDERS
from postal.store import privacy as privacy_store
from postal.store import scans as store

MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024
ATTACHMENT_KINDS = ("signature", "photo")


async def attach(pool: asyncpg.Pool, principal: Principal, client_event_id: str, kind: str,
                 data: bytes) -> tuple[dict[str, Any], bool]:
    """Keep a signature or photo with the courier's event; returns (attachment, created)."""
    principal.require(*RECORDERS)
    if kind not in ATTACHMENT_KINDS:
        raise codes.invalid("kind", "Loại tệp đính kèm phải là 'signature' hoặc 'photo'.")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise PayloadTooLarge(f"Ảnh đính kèm tối đa {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise codes.invalid("file", "Thiếu nội dung ảnh.")
    try:
        client_event_id = str(UUID(client_event_id))
    except ValueError:
        raise NotFound("Không tìm thấy lần quét này (client_event_id phải là UUID).") from None
    media_type = sniff_image(data)
    async with pool.acquire() as con, con.transaction():
        event = await store.event_by_client_id(con, client_event_id)
        if event is None or event["shipment_post_office"] != principal.post_office_code:
            raise NotFound("Không tìm thấy lần quét này ở bưu cục của bạn.")
        if await privacy_store.purged_for_share(con, event["shipment_id"]):  # held against a concurrent purge
            raise Conflict("Dữ liệu cá nhân của bưu gửi này đã được xoá theo thời hạn lưu trữ; không nhận thêm ảnh.")
        row, created = await store.add_attachment(con, store.NewAttachment(
            event_id=event["id"], kind=kind, media_type=media_type, sha256=hashlib.sha256(data).digest(),
            data=data, created_by=principal.user_id,
        ))
    if not created and row["sha256"] != hashlib.sha256(data).digest():
        raise Conflict(f"Lần quét này đã có ảnh loại '{kind}' khác.")
    return {"id": row["id"], "client_event_id": client_event_id, "tracking_code": event["tracking_code"],
            "kind": row["kind"], "media_type": row["media_type"], "size_bytes": row["size_bytes"],
            "sha256": row["sha256"].hex()}, created
