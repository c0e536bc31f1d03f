"""The shipment lifecycle: statuses, events, the transition table (SPEC §4).

Everything here is pure: a state and an event go in, a new state comes out or a
:class:`~postal.errors.TransitionRefused` is raised. Storing the event, the outbox
row and the notification is the service's business.

Rules encoded here:

- The transition table :data:`TRANSITIONS` is the one in SPEC §4. Staff (``by_staff``)
  may additionally order ``returned`` from any non-terminal status, and only staff may
  ``cancel`` (from ``created``). Staff never have fewer rights than couriers.
- Each ``delivery_failed`` counts one attempt. Once ``failed_attempts`` reaches
  ``max_attempts`` the shipment must be returned: ``out_for_delivery`` is refused and
  ``returned`` is the only way on. So ``failed_attempts`` never exceeds ``max_attempts``.
- Terminal statuses (:data:`TERMINAL`) accept no event at all.
- Late scans: a scan whose ``occurred_at`` (device time) is strictly older than the
  newest *applied* event is a late scan (:func:`is_late`). It is kept in the timeline
  with ``applied = false`` but is NOT passed to :func:`apply`, so a late scan never
  moves the status backwards. A scan at exactly the same instant is not late.
- Handover proof (:func:`validate_proof`): ``delivered`` in the ``delivery`` direction
  needs the recipient's name, the relationship (``self`` / ``authorized`` with an
  authorisation document number) and a verification (last 4 ID digits or a 6-digit
  one-time code). In the ``pickup`` direction only the receiving officer's name.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from postal.domain.text import refusal_message
from postal.errors import FieldError, InvalidInput, TransitionRefused

MAX_VERIFICATION_TRIES = 5
"""Wrong handover verifications allowed before the handover is locked (SPEC §4)."""

DEFAULT_MAX_ATTEMPTS = 3
MAX_NAME_LENGTH = 200
MAX_AUTHORIZATION_LENGTH = 100

Lang = Literal["vi", "en"]


class Status(StrEnum):
    """Where a shipment is."""

    created = "created"
    picked_up = "picked_up"
    in_transit = "in_transit"
    out_for_delivery = "out_for_delivery"
    delivery_failed = "delivery_failed"
    delivered = "delivered"
    returned = "returned"
    cancelled = "cancelled"


TERMINAL: frozenset[Status] = frozenset({Status.delivered, Status.returned, Status.cancelled})
OPEN: frozenset[Status] = frozenset(Status) - TERMINAL  # the one definition of "still open" (SQL gets it too)


class Event(StrEnum):
    """What a scan (or a staff order) says happened."""

    picked_up = "picked_up"
    arrived = "arrived"
    out_for_delivery = "out_for_delivery"
    delivery_failed = "delivery_failed"
    delivered = "delivered"
    returned = "returned"
    cancel = "cancel"


class Direction(StrEnum):
    """``pickup``: dossier from the citizen to the agency; ``delivery``: result to the citizen."""

    pickup = "pickup"
    delivery = "delivery"


TRANSITIONS: Mapping[Event, tuple[frozenset[Status], Status]] = {
    Event.picked_up: (frozenset({Status.created}), Status.picked_up),
    Event.arrived: (frozenset({Status.picked_up, Status.in_transit}), Status.in_transit),
    Event.out_for_delivery: (
        frozenset({Status.picked_up, Status.in_transit, Status.delivery_failed}),
        Status.out_for_delivery,
    ),
    Event.delivery_failed: (frozenset({Status.out_for_delivery}), Status.delivery_failed),
    Event.delivered: (
        frozenset({Status.picked_up, Status.in_transit, Status.out_for_delivery}),
        Status.delivered,
    ),
    Event.returned: (frozenset({Status.delivery_failed}), Status.returned),
    Event.cancel: (frozenset({Status.created}), Status.cancelled),
}
"""event -> (statuses it is allowed from, status it leads to), exactly SPEC §4."""

STAFF_ONLY: frozenset[Event] = frozenset({Event.cancel})
"""Events only staff may record."""


@dataclass(frozen=True)
class ShipmentState:
    """The part of a shipment the lifecycle rules look at."""

    status: Status
    failed_attempts: int = 0


# ---------------------------------------------------------------------------
# Transitions


def _must_return(state: ShipmentState, max_attempts: int) -> bool:
    return state.failed_attempts >= max_attempts


def _is_allowed(state: ShipmentState, event: Event, by_staff: bool, max_attempts: int) -> bool:
    if state.status in TERMINAL:
        return False
    if event in STAFF_ONLY and not by_staff:
        return False
    if event is Event.returned and by_staff:
        return True  # staff may order a return from any non-terminal status
    if event is Event.out_for_delivery and _must_return(state, max_attempts):
        return False
    return state.status in TRANSITIONS[event][0]


def allowed_events(
    state: ShipmentState, *, by_staff: bool = False, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> list[Event]:
    """The events that :func:`apply` would accept now, in :class:`Event` order."""
    return [e for e in Event if _is_allowed(state, e, by_staff, max_attempts)]


def _refusal_detail(state: ShipmentState, event: Event, allowed: list[Event], max_attempts: int) -> str:
    allowed_text = ", ".join(allowed) if allowed else "không có (trạng thái cuối)"
    reason = ""
    if event is Event.out_for_delivery and _must_return(state, max_attempts):
        reason = (
            f": đã phát không thành công {state.failed_attempts}/{max_attempts} lần, "
            "bưu gửi phải được chuyển hoàn ('returned')"
        )
    elif event in STAFF_ONLY and state.status in TRANSITIONS[event][0]:
        reason = ": chỉ nhân viên bộ phận một cửa được thực hiện"
    return (
        f"Không thể ghi nhận '{event}' khi bưu gửi đang ở trạng thái '{state.status}'{reason}. "
        f"Được phép: {allowed_text}."
    )


def apply(
    state: ShipmentState,
    event: Event,
    *,
    by_staff: bool = False,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> ShipmentState:
    """Return the state after ``event``, or raise :class:`TransitionRefused`.

    ``by_staff`` is true when the event is ordered by agency staff (who may cancel,
    and may order a return from any non-terminal status).
    """
    if not _is_allowed(state, event, by_staff, max_attempts):
        allowed = allowed_events(state, by_staff=by_staff, max_attempts=max_attempts)
        raise TransitionRefused(
            _refusal_detail(state, event, allowed, max_attempts),
            current=str(state.status),
            allowed=[str(e) for e in allowed],
        )
    target = Status.returned if event is Event.returned else TRANSITIONS[event][1]
    failed = state.failed_attempts + (1 if event is Event.delivery_failed else 0)
    return ShipmentState(status=target, failed_attempts=failed)


class Note(StrEnum):
    """Timeline entries that are not scans and never change the status (kept apart from :class:`Event`,
    so no scan can carry them)."""

    rescheduled = "rescheduled"


def check_note(state: ShipmentState, note: Note) -> ShipmentState:
    """The state after a timeline note: unchanged; refused (409) once the shipment is terminal."""
    if state.status in TERMINAL:
        raise TransitionRefused(
            f"Không thể ghi nhận '{note}' khi bưu gửi đã ở trạng thái cuối '{state.status}'.",
            current=str(state.status),
            allowed=[],
        )
    return state


def is_late(occurred_at: datetime, newest_applied_occurred_at: datetime | None) -> bool:
    """True when a scan is older than the newest applied event (kept, not applied).

    Both times must carry a timezone: device clocks report with an offset and a naive
    time cannot be ordered against them.
    """
    if newest_applied_occurred_at is None:
        return False
    if occurred_at.tzinfo is None or newest_applied_occurred_at.tzinfo is None:
        raise InvalidInput(
            "Thời điểm sự kiện phải có múi giờ.",
            errors=[FieldError("occurred_at", "Thiếu múi giờ (ví dụ +07:00).")],
        )
    return occurred_at < newest_applied_occurred_at


# ---------------------------------------------------------------------------
# Texts

STATUS_TEXT_VI: dict[Status, str] = {
    Status.created: "Đã tạo đơn, chờ bưu tá đến lấy",
    Status.picked_up: "Bưu tá đã nhận",
    Status.in_transit: "Đang vận chuyển",
    Status.out_for_delivery: "Bưu tá đang đi phát",
    Status.delivery_failed: "Phát không thành công",
    Status.delivered: "Đã giao thành công",
    Status.returned: "Đã chuyển hoàn",
    Status.cancelled: "Đã huỷ",
}

STATUS_TEXT_EN: dict[Status, str] = {
    Status.created: "Order created, waiting for the postman",
    Status.picked_up: "Picked up by the postman",
    Status.in_transit: "In transit",
    Status.out_for_delivery: "Out for delivery",
    Status.delivery_failed: "Delivery attempt failed",
    Status.delivered: "Delivered",
    Status.returned: "Returned",
    Status.cancelled: "Cancelled",
}

# In the pickup direction the "recipient" is the agency, so a few texts read differently.
_PICKUP_STATUS_TEXT: dict[Lang, dict[Status, str]] = {
    "vi": {
        Status.created: "Đã tạo yêu cầu, chờ bưu tá đến nhận hồ sơ",
        Status.picked_up: "Bưu tá đã nhận hồ sơ",
        Status.out_for_delivery: "Bưu tá đang chuyển hồ sơ đến cơ quan",
        Status.delivery_failed: "Chưa bàn giao được hồ sơ cho cơ quan",
        Status.delivered: "Đã bàn giao hồ sơ cho cơ quan",
    },
    "en": {
        Status.created: "Request created, waiting for the postman to collect the dossier",
        Status.picked_up: "Dossier collected by the postman",
        Status.out_for_delivery: "Dossier on its way to the agency",
        Status.delivery_failed: "Dossier could not be handed over to the agency",
        Status.delivered: "Dossier handed over to the agency",
    },
}

EVENT_TEXT_VI: dict[Event, str] = {
    Event.picked_up: "Bưu tá nhận bưu gửi",
    Event.arrived: "Đến bưu cục",
    Event.out_for_delivery: "Bưu tá đi phát",
    Event.delivery_failed: "Phát không thành công",
    Event.delivered: "Phát thành công",
    Event.returned: "Chuyển hoàn",
    Event.cancel: "Huỷ đơn",
}

EVENT_TEXT_EN: dict[Event, str] = {
    Event.picked_up: "Picked up",
    Event.arrived: "Arrived at post office",
    Event.out_for_delivery: "Out for delivery",
    Event.delivery_failed: "Delivery attempt failed",
    Event.delivered: "Delivered",
    Event.returned: "Returned",
    Event.cancel: "Cancelled",
}


NOTE_TEXT: dict[Lang, dict[Note, str]] = {
    "vi": {Note.rescheduled: "Hẹn lại ngày trả kết quả"},
    "en": {Note.rescheduled: "New result date set"},
}


def timeline_text(name: str, lang: Lang = "vi") -> str:
    """Any stored timeline entry (scan event or note) as a person reads it; unknown names as they are."""
    if name in Event.__members__:
        return event_text(Event(name), lang)
    if name in Note.__members__:
        return NOTE_TEXT[lang][Note(name)]
    return name


def status_text(status: Status, direction: Direction = Direction.delivery, lang: Lang = "vi") -> str:
    """A status as a citizen reads it, in Vietnamese (default) or English."""
    if direction is Direction.pickup and status in _PICKUP_STATUS_TEXT[lang]:
        return _PICKUP_STATUS_TEXT[lang][status]
    return (STATUS_TEXT_VI if lang == "vi" else STATUS_TEXT_EN)[status]


def event_text(event: Event, lang: Lang = "vi") -> str:
    """An event as a citizen reads it, in Vietnamese (default) or English."""
    return (EVENT_TEXT_VI if lang == "vi" else EVENT_TEXT_EN)[event]


# ---------------------------------------------------------------------------
# Handover proof


class Relationship(StrEnum):
    """Who took the item: the citizen in person, or someone they authorised."""

    self_ = "self"
    authorized = "authorized"


class VerificationMethod(StrEnum):
    """How the courier checked the recipient."""

    id_last4 = "id_last4"
    otp = "otp"


_VERIFICATION_DIGITS = {VerificationMethod.id_last4: 4, VerificationMethod.otp: 6}


@dataclass(frozen=True)
class Proof:
    """A validated, normalised handover proof (text in NFC, whitespace collapsed)."""

    recipient_name: str
    relationship: Relationship | None = None
    authorization_number: str | None = None
    verification_method: VerificationMethod | None = None
    verification_value: str | None = None


def _clean_text(value: object) -> str | None:
    """NFC, whitespace collapsed; None when missing, blank or not a string."""
    if not isinstance(value, str):
        return None
    cleaned = " ".join(unicodedata.normalize("NFC", value).split())
    return cleaned or None


def _text_field(
    proof: Mapping[str, Any], key: str, path: str, limit: int, errors: list[FieldError]
) -> str | None:
    raw = proof.get(key)
    refused = refusal_message(raw) if isinstance(raw, str) else None
    if refused is not None:
        errors.append(FieldError(path, refused))
        return None
    value = _clean_text(raw)
    if value is None:
        errors.append(FieldError(path, "Bắt buộc, không được để trống."))
    elif len(value) > limit:
        errors.append(FieldError(path, f"Tối đa {limit} ký tự."))
        return None
    return value


def _relationship(proof: Mapping[str, Any], errors: list[FieldError]) -> Relationship | None:
    raw = proof.get("relationship")
    if raw in {r.value for r in Relationship}:
        return Relationship(raw)
    errors.append(FieldError("proof.relationship", "Phải là 'self' hoặc 'authorized'."))
    return None


def _authorization(proof: Mapping[str, Any], errors: list[FieldError]) -> str | None:
    # SPEC calls it the authorisation document number; accept either spelling.
    key = "authorization_number"
    if key not in proof and "authorization_document" in proof:
        key = "authorization_document"
    return _text_field(proof, key, f"proof.{key}", MAX_AUTHORIZATION_LENGTH, errors)


def _verification(
    proof: Mapping[str, Any], errors: list[FieldError]
) -> tuple[VerificationMethod | None, str | None]:
    raw = proof.get("verification")
    if not isinstance(raw, Mapping):
        errors.append(FieldError("proof.verification", "Bắt buộc: {method, value}."))
        return None, None
    method = raw.get("method")
    if method not in {m.value for m in VerificationMethod}:
        errors.append(FieldError("proof.verification.method", "Phải là 'id_last4' hoặc 'otp'."))
        return None, None
    digits = _VERIFICATION_DIGITS[VerificationMethod(method)]
    value = raw.get("value")
    value = "".join(value.split()) if isinstance(value, str) else None
    if value is None or not re.fullmatch(rf"[0-9]{{{digits}}}", value):
        errors.append(FieldError("proof.verification.value", f"Phải gồm đúng {digits} chữ số."))
        return VerificationMethod(method), None
    return VerificationMethod(method), value


def _delivery_proof(proof: Mapping[str, Any], errors: list[FieldError]) -> Proof | None:
    name = _text_field(proof, "recipient_name", "proof.recipient_name", MAX_NAME_LENGTH, errors)
    relationship = _relationship(proof, errors)
    authorization = _authorization(proof, errors) if relationship is Relationship.authorized else None
    method, value = _verification(proof, errors)
    if errors or name is None:
        return None
    return Proof(name, relationship, authorization, method, value)


def validate_proof(direction: Direction, proof: Mapping[str, Any] | None) -> Proof:
    """Validate the proof a ``delivered`` scan carries; raise :class:`InvalidInput` listing every fault.

    ``delivery``: recipient name, relationship (+ authorisation number when
    ``authorized``) and verification. ``pickup``: the receiving officer's name only.
    """
    if not isinstance(proof, Mapping):
        raise InvalidInput(
            "Cần thông tin xác nhận giao nhận (proof).",
            errors=[FieldError("proof", "Bắt buộc khi ghi nhận 'delivered'.")],
        )
    errors: list[FieldError] = []
    if direction is Direction.pickup:
        name = _text_field(proof, "recipient_name", "proof.recipient_name", MAX_NAME_LENGTH, errors)
        result = Proof(name) if name and not errors else None
    else:
        result = _delivery_proof(proof, errors)
    if result is None:
        raise InvalidInput("Thông tin xác nhận giao nhận chưa đầy đủ hoặc không hợp lệ.", errors=errors)
    return result


def check_id_last4(id_number_on_file: str, value: str) -> bool:
    """True when ``value`` is the last 4 digits of the ID number on file (constant time)."""
    on_file = re.sub(r"[^0-9]", "", id_number_on_file)
    given = "".join(value.split())
    if len(on_file) < 4 or not re.fullmatch(r"[0-9]{4}", given):
        return False
    return hmac.compare_digest(on_file[-4:], given)


def new_otp() -> str:
    """A fresh 6-digit one-time code from a cryptographic source."""
    return f"{secrets.randbelow(10**6):06d}"


def hash_otp(code: str, key: bytes) -> str:
    """The keyed hash stored instead of the code (HMAC-SHA256, hex)."""
    message = b"postal-otp:" + "".join(code.split()).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify_otp(code: str, hashed: str, key: bytes) -> bool:
    """True when ``code`` matches the stored hash; constant time."""
    if not code.isascii() or not hashed.isascii():
        return False  # compare_digest only takes ASCII strings
    return hmac.compare_digest(hash_otp(code, key), hashed)
