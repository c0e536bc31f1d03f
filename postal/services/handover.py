"""The handover of a ``delivered`` scan (SPEC §5): the proof kept with the event, the check of the
recipient (last 4 ID digits or the one-time code), counting wrong checks and locking, and the
one-time code itself.

- **Handover** (``delivered``, ``delivery`` direction): recipient name, relationship, and a check
  of the last 4 ID digits on file or of the one-time code. A wrong check is 422 and counted (the
  count is committed although the request fails); after :data:`MAX_VERIFICATION_TRIES` wrong
  checks every further try is 423, even with the right value, until staff reset it. The event
  keeps the name, relationship, authorisation number and method, never the digits or the code.
- **One-time code**: made (:func:`issue_or_clear_otp`) when a ``delivery`` shipment goes
  ``out_for_delivery``, valid :data:`OTP_TTL`; its HMAC (under the secret key) is stored on the
  shipment and the code itself only in the ``notification.otp`` outbox row, which no API or page
  shows: the notification worker sends it (``postal.services.notifications``). A new round makes a
  new code; a handed-over shipment forgets it.

The proof rules themselves are pure, in :mod:`postal.domain.handover`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg

from postal.domain import codes
from postal.domain.handover import (
    MAX_VERIFICATION_TRIES,
    Proof,
    Relationship,
    VerificationMethod,
    check_id_last4,
    hash_otp,
    new_otp,
    verify_otp,
)
from postal.domain.lifecycle import Direction
from postal.errors import FieldError, InvalidInput, Locked, PostalError, VerificationFailed
from postal.services.views import Clock
from postal.store import scans as store
from postal.store import shipments as shipments_store

OTP_TTL = timedelta(hours=24)


def proof_details(direction: Direction, proof: Proof, verified: bool) -> dict[str, Any]:
    """What the event keeps of the proof: never the ID digits nor the one-time code."""
    if direction is Direction.pickup:
        return {"recipient_name": proof.recipient_name, "recipient_role": "agency_officer"}
    details: dict[str, Any] = {
        "recipient_name": proof.recipient_name,
        "relationship": proof.relationship.value if proof.relationship else None,
        "verification_method": proof.verification_method.value if proof.verification_method else None,
        "verified": verified,
    }
    if proof.relationship is Relationship.authorized:
        details["authorization_number"] = proof.authorization_number
    return details


def check_proof_text(proof: Proof) -> None:
    """Names and numbers kept with the event hold no control characters (the lifecycle only trims them)."""
    codes.clean_text(proof.recipient_name, "proof.recipient_name", max_length=200)
    if proof.authorization_number is not None:
        codes.clean_text(proof.authorization_number, "proof.authorization_number", max_length=100)


def verify_recipient(row: asyncpg.Record, proof: Proof, clock: Clock) -> None:
    """Raise Locked when locked, VerificationFailed when the digits or the code are wrong."""
    if row["verification_failures"] >= MAX_VERIFICATION_TRIES:
        raise Locked(f"Đã nhập sai xác minh {MAX_VERIFICATION_TRIES} lần: việc giao bưu gửi này bị khoá. "
                     "Hãy liên hệ bộ phận một cửa để mở khoá.")
    value = proof.verification_value or ""
    if proof.verification_method is VerificationMethod.otp:
        if row["otp_hash"] is None or row["otp_expires_at"] is None or row["otp_expires_at"] <= clock.now():
            raise InvalidInput(
                "Không có mã xác nhận còn hiệu lực cho bưu gửi này: dùng 4 số cuối CCCD, "
                "hoặc ghi nhận 'out_for_delivery' lại để gửi mã mới.",
                errors=[FieldError("proof.verification.value", "Mã xác nhận đã hết hạn hoặc chưa được tạo.")],
            )
        ok = verify_otp(value, row["otp_hash"], clock.settings.key)
    else:
        if not row["citizen_id_number"]:
            raise InvalidInput(
                "Bưu gửi không có số CCCD để đối chiếu: hãy dùng mã xác nhận một lần gửi tới điện thoại người dân.",
                errors=[FieldError("proof.verification.method", "Không có số CCCD trong hồ sơ.")],
            )
        ok = check_id_last4(row["citizen_id_number"], value)
    if not ok:
        raise VerificationFailed("Thông tin xác minh người nhận không đúng.",
                                 errors=[FieldError("proof.verification.value", "Không khớp.")])


async def count_failure(con: asyncpg.Connection, shipment_id: int, exc: VerificationFailed) -> PostalError:
    """Count a wrong check on the shipment and say how many tries are left (or that it is now locked)."""
    failures = await store.count_verification_failure(con, shipment_id)
    left = MAX_VERIFICATION_TRIES - failures
    if left > 0:
        exc.detail = f"{exc.detail} Còn {left} lần thử."
    else:
        exc.detail = f"{exc.detail} Đã sai {MAX_VERIFICATION_TRIES} lần: việc giao bưu gửi này bị khoá."
    exc.args = (exc.detail,)
    return exc


async def issue_or_clear_otp(con: asyncpg.Connection, row: asyncpg.Record, *, new_round: bool,
                             handed_over: bool, clock: Clock, event_id: int) -> None:
    """A fresh one-time code when a delivery goes out; forget it once handed over."""
    if new_round:
        otp, expires = new_otp(), clock.now() + OTP_TTL
        await store.set_otp(con, row["id"], hash_otp(otp, clock.settings.key), expires)
        await shipments_store.add_outbox(con, "notification.otp", row["id"], {
            "shipment_id": row["id"], "kind": "otp", "ref": f"otp:{event_id}",
            "tracking_code": row["tracking_code"], "otp": otp, "expires_at": clock.local(expires),
        })
    elif handed_over:
        await store.clear_otp(con, row["id"])
