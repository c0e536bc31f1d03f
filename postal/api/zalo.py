"""``POST /api/v1/zalo/events``: the Zalo OA webhook (SPEC §12).

Authentication is the signature alone: ``X-ZEvent-Signature: mac=<hex sha256(app_id + raw body +
timestamp + OA secret)>`` with the body's ``timestamp``. A missing, malformed or wrong signature, a
body that is not a JSON object with a timestamp, an unconfigured app id/secret, or a timestamp more
than ``POSTAL_ZALO_MAX_SKEW_SECONDS`` (default 300) away from our clock: 401, nothing recorded.
A verified event answers 200 ``{"received": true}`` once its reply is queued (or it was a duplicate,
or not a text): the reply itself leaves from the sender worker.
"""

from __future__ import annotations

import json
import time

from aiohttp import web

from postal.api.openapi import Operation
from postal.api.schemas import _Out
from postal.api.validation import read_body
from postal.domain import zalo as rules
from postal.edge.keys import clock_key, pool_key, settings_key
from postal.edge.responses import json_response
from postal.errors import Unauthenticated
from postal.services import zalo as service


class ZaloAck(_Out):
    received: bool


def _refuse() -> Unauthenticated:
    return Unauthenticated("Chữ ký X-ZEvent-Signature không hợp lệ hoặc sự kiện đã quá hạn.")


async def zalo_events(request: web.Request) -> web.Response:
    """Verify, record once, queue the reply; 401 for anything not signed by our OA."""
    settings = request.app[settings_key]
    raw = await read_body(request)
    try:
        body = json.loads(raw)
    except ValueError:
        raise _refuse() from None
    if not isinstance(body, dict):
        raise _refuse()
    stamp = body.get("timestamp")
    seconds = rules.timestamp_seconds(stamp)
    header = request.headers.get("X-ZEvent-Signature", "")
    if seconds is None or not rules.signature_ok(header, settings.zalo_app_id, raw, str(stamp),
                                                 settings.zalo_oa_secret):
        raise _refuse()
    if not rules.fresh(seconds, time.time(), settings.zalo_max_skew_seconds):
        raise _refuse()
    event = service.incoming(body, raw)
    if event is not None:
        await service.receive(request.app[pool_key], request.app[clock_key], event)
    return json_response({"received": True})


OPERATIONS = [
    Operation("POST", "/zalo/events", zalo_events, "Sự kiện webhook của Zalo OA (chatbot tra cứu bưu gửi)",
              {200: ZaloAck}, errors=(400, 401, 413), public=True, headers=("X-ZEvent-Signature",),
              tags=("zalo",)),
]
