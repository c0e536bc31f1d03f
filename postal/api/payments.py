"""``POST /api/v1/payments``: a confirmed VietQR payment reported by the agency's integration (SPEC §12).

201 with the record when new; 200 with the same record when the same ``reference`` and body come
again (a retry); 409 for a reference already used with another body, or a shipment already paid;
422 when the amount is not the amount due (or nothing is due); 404 for another agency's shipment.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from postal.api.auth import require
from postal.api.openapi import Operation
from postal.api.schemas import _Out
from postal.api.validation import parse_body
from postal.domain.access import Role
from postal.edge.keys import clock_key, pool_key
from postal.edge.responses import json_response
from postal.services import payments


class PaymentBody(BaseModel):
    """A payment the bank confirmed: the shipment, the amount in đồng, when, the bank's reference."""

    model_config = ConfigDict(extra="ignore")

    tracking_code: str = Field(min_length=1, max_length=40, description="Mã bưu gửi (S10).")
    amount: int = Field(gt=0, le=9_999_999_999_999, description="Số tiền (đồng), đúng bằng số phải thu.")
    paid_at: AwareDatetime = Field(description="Thời điểm ngân hàng ghi có (ISO 8601 có múi giờ).")
    reference: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$",
                           description="Mã tham chiếu giao dịch của ngân hàng (duy nhất).")


class PaymentOut(_Out):
    id: int
    tracking_code: str
    amount: int
    reference: str
    paid_at: str
    recorded_at: str


async def confirm(request: web.Request) -> web.Response:
    """Record the payment once per reference."""
    principal = await require(request, Role.integration, Role.admin)
    body = await parse_body(request, PaymentBody)
    record, created = await payments.confirm(
        request.app[pool_key], principal,
        payments.PaymentIn(body.tracking_code, body.amount, body.paid_at, body.reference), request.app[clock_key])
    return json_response(record, status=201 if created else 200)


OPERATIONS = [
    Operation("POST", "/payments", confirm, "Ghi nhận một khoản thanh toán trực tuyến (VietQR) đã xác nhận",
              {201: PaymentOut, 200: PaymentOut}, body=PaymentBody, errors=(400, 401, 403, 404, 409, 422),
              tags=("payments",)),
]
