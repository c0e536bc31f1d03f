"""Recording courier scans (SPEC §4, §5): one event at a time or a batch from an offline device.

The handover proof and the one-time code are :mod:`postal.services.handover`'s; attachments,
photos and the courier's own pages have their own modules.

Decisions written down here (they are part of the API contract):

- **Who**: only couriers scan, and only shipments of their own post office (others: 404).
- **Code**: the tracking code (any case, spaces), the whole QR payload URL, or ``CODE.SIG``. A
  signature that does not sign the code is refused (422 on ``code``): a forged QR is never accepted.
- **Time**: ``occurred_at`` is the device time with a time zone; more than
  :data:`FUTURE_TOLERANCE` ahead of the server, or older than :data:`MAX_AGE`, is refused (422).
- **Replays**: a ``client_event_id`` already stored for the same shipment and event answers 200
  with the stored event (whatever happened since). One stored for another shipment or another
  event is a client bug and answers 409, never a silent 200.
- **Impossible times** (``postal.domain.chronology``): a scan dated before the shipment's creation,
  or an ``arrived``/``out_for_delivery``/``delivery_failed``/``delivered`` dated before the applied
  ``picked_up``, is refused with 422 on ``occurred_at``, late or not, single or in a batch.
- **Late scans** (older than the newest applied event) are stored with ``applied: false``; they
  skip the transition check, never move the status and write no outbox row. A late ``delivered``
  still needs a well-formed proof, but its verification is not checked (``verified: false``).
- **Races**: the status changes under the shipment's row lock (``SELECT … FOR UPDATE``; the common
  scans do it in one statement, see ``store.scans``); of racing scans one applies and the others
  meet the new status (409 with ``current_status`` and ``allowed_events``) or turn late.
- **Outbox**: every applied event writes ``shipment.status_changed`` in the same transaction.
- **Failed delivery** (``delivery_failed``) needs a ``reason_code`` from :data:`FAILURE_REASONS`
  (``other`` also needs a ``note``).
- **Collected papers and money** (``documents_checked``, ``proof.cod_collected``): see
  :mod:`postal.services.collection`.
- **Batch**: items are applied in the order given (an offline device's queue is in order), each in
  its own transaction, so one bad item never blocks the others.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from postal.domain import codes
from postal.domain.access import Principal, Role
from postal.domain.chronology import check_chronology
from postal.domain.handover import validate_proof
from postal.domain.lifecycle import TERMINAL, Direction, Event, ShipmentState, Status, allowed_events, apply, is_late
from postal.domain.signing import parse_qr_payload, verify_code_sig
from postal.domain.status_texts import status_text
from postal.errors import Conflict, PostalError, VerificationFailed
from postal.services.collection import MAX_DOCUMENTS, DocumentCheckIn, cod_details, documents_details
from postal.services.handover import (
    check_proof_text,
    count_failure,
    issue_or_clear_otp,
    proof_details,
    verify_recipient,
)
from postal.services.views import Clock, event_view
from postal.store import scans as store

FUTURE_TOLERANCE = timedelta(minutes=10)
MAX_AGE = timedelta(days=365)
MAX_BATCH = 500
RECORDERS = (Role.courier,)
"""Who may record scans (of their own post office's shipments)."""

FAILURE_REASONS: dict[str, str] = {
    "absent": "Người nhận vắng nhà, không liên lạc được",
    "wrong_address": "Sai địa chỉ hoặc không tìm thấy địa chỉ",
    "refused": "Người nhận từ chối nhận",
    "no_id": "Không xuất trình được giấy tờ tùy thân hoặc giấy ủy quyền",
    "moved": "Người nhận đã chuyển đi nơi khác",
    "postponed": "Người nhận hẹn phát lại vào ngày khác",
    "other": "Lý do khác (ghi rõ trong ghi chú)",
}
"""``reason_code`` of a failed delivery → its Vietnamese text (stored with the event)."""

class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LocationIn(_In):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class VerificationIn(_In):
    method: str | None = Field(default=None, max_length=20, description="id_last4 | otp")
    value: str | None = Field(default=None, max_length=20)


class ProofIn(_In):
    """The handover proof; its rules are the lifecycle's (``validate_proof``), checked by the service."""

    recipient_name: str | None = Field(default=None, max_length=300)
    relationship: str | None = Field(default=None, max_length=20, description="self | authorized")
    authorization_number: str | None = Field(default=None, max_length=200)
    verification: VerificationIn | None = None
    cod_collected: bool | None = Field(
        default=None, description="Đã thu đủ tiền thu hộ (khi cod_amount > 0); false bị từ chối; thiếu: chưa xác nhận",
    )


class ScanIn(_In):
    """One scan: the event a courier records for a shipment."""

    code: str = Field(max_length=500, description="Mã bưu gửi, nội dung QR (URL) hoặc mã vạch")
    event: Event
    occurred_at: AwareDatetime
    client_event_id: UUID
    location: LocationIn | None = None
    proof: ProofIn | None = Field(
        default=None,
        description="Bắt buộc khi 'delivered': recipient_name, relationship (self|authorized), "
                    "authorization_number, verification {method: id_last4|otp, value}",
    )
    reason_code: str | None = Field(default=None, max_length=40,
                                    description="Bắt buộc khi 'delivery_failed': " + ", ".join(FAILURE_REASONS))
    note: str | None = Field(default=None, max_length=1000)
    documents_checked: list[DocumentCheckIn] | None = Field(
        default=None, max_length=MAX_DOCUMENTS,
        description="Chỉ với 'picked_up': giấy tờ bưu tá đã kiểm khi thu gom, mỗi mục {name, kind, count, present}",
    )


class ScanBatchIn(_In):
    """Up to 500 scans from an offline device, applied in the order given."""

    scans: list[Any] = Field(max_length=MAX_BATCH)


class Recorded(StrEnum):
    """What recording a scan did: stored a new event, or found the same scan already stored."""

    created = "created"
    replayed = "replayed"


@dataclass(frozen=True)
class ScanOutcome:
    """The answer to one scan: the event, the status and the shipment, and whether it is new."""

    recorded: Recorded
    body: dict[str, Any]


# ---------------------------------------------------------------------------
# Checks before touching the database


def resolve_code(text: str, key: bytes) -> str:
    """The tracking code from typed text, a QR payload or ``CODE.SIG``; a wrong signature is refused."""
    raw, sig = parse_qr_payload(text)
    code = codes.normalize_s10(raw, "code")
    if sig is not None and not verify_code_sig(code, sig, key):
        raise codes.invalid("code", "Mã QR không hợp lệ: chữ ký không khớp với mã bưu gửi (tem có thể bị sửa).")
    return code


def _check_time(occurred_at: datetime, clock: Clock) -> None:
    """Refuse device times in the future (beyond the tolerance) or too old to be a real scan."""
    if not 2000 <= occurred_at.year <= 2100 or occurred_at < clock.now() - MAX_AGE:
        raise codes.invalid(
            "occurred_at", "Thời điểm sự kiện quá cũ: hãy kiểm tra đồng hồ và múi giờ của thiết bị."
        )
    if occurred_at > clock.now() + FUTURE_TOLERANCE:
        raise codes.invalid(
            "occurred_at", "Thời điểm sự kiện ở tương lai: hãy kiểm tra đồng hồ và múi giờ của thiết bị."
        )


def _base_details(scan: ScanIn) -> dict[str, Any]:
    """``reason_code``/``note`` checked and turned into the event's details."""
    details: dict[str, Any] = {}
    note = codes.clean_text(scan.note, "note", max_length=1000, required=False, multiline=True) if scan.note else ""
    if note:
        details["note"] = note
    if scan.event is Event.delivery_failed:
        if scan.reason_code not in FAILURE_REASONS:
            raise codes.invalid("reason_code", "Cần lý do phát không thành công, một trong: "
                                + ", ".join(FAILURE_REASONS) + ".")
        if scan.reason_code == "other" and not note:
            raise codes.invalid("note", "Lý do «khác» cần ghi rõ trong ghi chú.")
        details |= {"reason_code": scan.reason_code, "reason_text": FAILURE_REASONS[scan.reason_code]}
    elif scan.reason_code is not None:
        raise codes.invalid("reason_code", "Chỉ dùng reason_code với sự kiện 'delivery_failed'.")
    return details | documents_details(scan.event.value, scan.documents_checked)


# ---------------------------------------------------------------------------
# The decision (pure, on the locked row)


@dataclass(frozen=True)
class _Plan:
    """What to write for one scan."""

    write: store.ScanWrite
    state: ShipmentState
    new_otp: bool
    handed_over: bool


def _plan(row: asyncpg.Record, scan: ScanIn, details: dict[str, Any], principal: Principal,
          clock: Clock, trusted_handover: bool = False) -> _Plan:
    """Apply the lifecycle rules to the locked row; raise the refusal, or say what to write."""
    state = ShipmentState(Status(row["status"]), row["failed_attempts"])
    direction = Direction(row["direction"])
    check_chronology(scan.event, scan.occurred_at, row["created_at"], row["picked_up_at"])
    late = is_late(scan.occurred_at, row["newest_applied"])
    after = state if late else apply(state, scan.event, max_attempts=clock.settings.max_attempts)
    if scan.event is Event.delivered and trusted_handover:
        details = details | {"verified": True, "verified_by": "carrier"}  # the operator checked the proof
    elif scan.event is Event.delivered:
        proof = validate_proof(direction, scan.proof.model_dump(exclude_none=True) if scan.proof else None)
        check_proof_text(proof)
        cod = cod_details(row["cod_amount"], scan.proof.cod_collected if scan.proof else None)  # before counting
        if direction is Direction.delivery and not late:
            verify_recipient(row, proof, clock)
        details = details | proof_details(direction, proof, verified=not late) | cod
    write = store.ScanWrite(
        shipment_id=row["id"], event=scan.event.value, occurred_at=scan.occurred_at,
        actor_user_id=principal.user_id, post_office_code=str(principal.post_office_code),
        from_status=state.status.value, to_status=after.status.value, applied=not late,
        client_event_id=str(scan.client_event_id),
        lat=scan.location.lat if scan.location else None, lon=scan.location.lon if scan.location else None,
        details=details, failed_attempts=after.failed_attempts, completed=not late and after.status in TERMINAL,
        outbox_payload=_status_payload(row, scan, state, after),
    )
    applied_here = not late
    return _Plan(
        write=write, state=after,
        new_otp=applied_here and scan.event is Event.out_for_delivery and direction is Direction.delivery,
        handed_over=applied_here and scan.event is Event.delivered,
    )


def _status_payload(row: asyncpg.Record, scan: ScanIn, before: ShipmentState, after: ShipmentState) -> dict[str, Any]:
    """The ``shipment.status_changed`` payload (same keys as the other emitters; ``event_id`` added in SQL)."""
    return {
        "tracking_code": row["tracking_code"],
        "direction": row["direction"],
        "agency_code": row["agency_code"],
        "post_office_code": row["post_office_code"],
        "status": after.status.value,
        "previous_status": before.status.value,
        "event": scan.event.value,
        "occurred_at": scan.occurred_at.isoformat(),
    }


# ---------------------------------------------------------------------------
# Answers


def _summary(code: str, direction: str, status: str, failed_attempts: int, clock: Clock) -> dict[str, Any]:
    """The shipment as a scan answer shows it: enough for the courier's next step."""
    text, allowed = _next_steps(direction, status, failed_attempts, clock.settings.max_attempts)
    return {
        "tracking_code": code,
        "direction": direction,
        "status": status,
        "status_text": text,
        "failed_attempts": failed_attempts,
        "allowed_events": list(allowed),
    }


@functools.lru_cache(maxsize=256)
def _next_steps(direction: str, status: str, failed_attempts: int, max_attempts: int) -> tuple[str, tuple[str, ...]]:
    """(status text, allowed events) of a state: a pure function of few values, computed once each."""
    state = ShipmentState(Status(status), failed_attempts)
    allowed = allowed_events(state, max_attempts=max_attempts)
    return status_text(state.status, Direction(direction)), tuple(e.value for e in allowed)


def _answer(recorded: Recorded, event: asyncpg.Record, summary: dict[str, Any], clock: Clock) -> ScanOutcome:
    return ScanOutcome(recorded, {"event": event_view(event, clock), "status": summary["status"],
                                "shipment": summary})


def _replay_answer(stored: asyncpg.Record, code: str, scan: ScanIn, clock: Clock) -> ScanOutcome:
    """The stored event (a replay), or Conflict when the id was used for another shipment or event."""
    if stored["tracking_code"] != code or stored["event"] != scan.event.value:
        raise Conflict(
            "client_event_id này đã được dùng cho một lần quét khác (mã bưu gửi hoặc sự kiện khác). "
            "Mỗi lần quét cần một client_event_id mới."
        )
    summary = _summary(code, stored["direction"], stored["shipment_status"], stored["failed_attempts"], clock)
    return _answer(Recorded.replayed, stored, summary, clock)


async def _stored(con: asyncpg.Connection, scan: ScanIn) -> asyncpg.Record | None:
    return await store.event_by_client_id(con, str(scan.client_event_id))


# ---------------------------------------------------------------------------
# Recording


@dataclass(frozen=True)
class _Failed:
    """A refusal to raise after the transaction committed (a counted wrong verification)."""

    error: PostalError


async def _in_transaction(con: asyncpg.Connection, principal: Principal, code: str, scan: ScanIn,
                          details: dict[str, Any], clock: Clock,
                          trusted_handover: bool = False) -> ScanOutcome | _Failed:
    row = await store.lock_for_scan(con, code, str(principal.post_office_code), str(scan.client_event_id))
    if row["known_event_id"] is not None:
        return await _replay(con, code, scan, clock)
    try:
        plan = _plan(row, scan, details, principal, clock, trusted_handover)
    except PostalError as exc:
        # What we read may predate a replay that committed while we waited for the lock.
        if (stored := await _stored(con, scan)) is not None:
            return _replay_answer(stored, code, scan, clock)
        if isinstance(exc, VerificationFailed):
            return _Failed(await count_failure(con, row["id"], exc))
        raise
    event = await store.write_scan(con, plan.write)
    await issue_or_clear_otp(con, row, new_round=plan.new_otp, handed_over=plan.handed_over, clock=clock,
                             event_id=event["id"])
    summary = _summary(code, row["direction"], plan.state.status.value, plan.state.failed_attempts, clock)
    return _answer(Recorded.created, event, summary, clock)


async def _replay(con: asyncpg.Connection, code: str, scan: ScanIn, clock: Clock) -> ScanOutcome:
    stored = await _stored(con, scan)
    if stored is None:  # the id's event vanished: cannot happen with an append-only table
        raise Conflict("Không đọc lại được sự kiện đã lưu; hãy gửi lại.")
    return _replay_answer(stored, code, scan, clock)


@dataclass(frozen=True)
class DirectRule:
    """How an event moves any shipment it is allowed for, whatever else the shipment holds."""

    from_statuses: tuple[Status, ...]
    to_status: Status
    attempts_added: int


# Events whose recording writes more than the event, the status and the outbox row, or whose
# permission depends on more than the status (out_for_delivery: the attempt limit and the code).
_LOCKED_EVENTS = frozenset({Event.delivered, Event.out_for_delivery, Event.cancel})


@lru_cache(maxsize=64)
def direct_rule(event: Event, max_attempts: int) -> DirectRule | None:
    """The lifecycle's own answer, for every status, to "may a courier record ``event`` now?".

    Only for events whose answer and outcome depend on the status alone (checked by a unit test
    over every status and attempt count); None for the others and for events no status allows.
    """
    if event in _LOCKED_EVENTS:
        return None
    sources = tuple(s for s in Status if event in allowed_events(ShipmentState(s), max_attempts=max_attempts))
    if not sources:
        return None
    before = ShipmentState(sources[0])
    after = apply(before, event, max_attempts=max_attempts)
    return DirectRule(sources, after.status, after.failed_attempts - before.failed_attempts)


async def _direct(con: asyncpg.Connection, principal: Principal, code: str, scan: ScanIn,
                  details: dict[str, Any], clock: Clock) -> ScanOutcome | None:
    """One statement for the common scans; None when the shipment must be looked at under the lock
    (not found, refused, late, or a replay of a refused event) to give the right answer."""
    rule = direct_rule(scan.event, clock.settings.max_attempts)
    if rule is None:
        return None
    event = await store.apply_direct(con, store.DirectWrite(
        code=code, post_office_code=str(principal.post_office_code), event=scan.event.value,
        to_status=rule.to_status.value, attempts_added=rule.attempts_added, completed=rule.to_status in TERMINAL,
        occurred_at=scan.occurred_at, from_statuses=[s.value for s in rule.from_statuses],
        actor_user_id=principal.user_id, client_event_id=str(scan.client_event_id),
        lat=scan.location.lat if scan.location else None, lon=scan.location.lon if scan.location else None,
        details=details, outbox_payload={"status": rule.to_status.value, "event": scan.event.value,
                                         "occurred_at": scan.occurred_at.isoformat()},
    ))
    if event is None:
        return None
    summary = _summary(code, event["shipment_direction"], rule.to_status.value,
                       event["shipment_failed_attempts"], clock)
    return _answer(Recorded.created, event, summary, clock)


async def record_scan(pool: asyncpg.Pool, principal: Principal, scan: ScanIn, clock: Clock, *,
                      trusted_handover: bool = False) -> ScanOutcome:
    """Record one courier scan: the new event and status, or the stored one for a replay (see the module notes).

    ``trusted_handover`` (carrier reports only, never from a request): a ``delivered`` needs no proof,
    because the operator's courier checked it (SPEC §9).
    """
    principal.require(*RECORDERS)
    code = resolve_code(scan.code, clock.settings.key)
    _check_time(scan.occurred_at, clock)
    details = _base_details(scan)
    async with pool.acquire() as con:
        try:
            outcome: ScanOutcome | _Failed | None = await _direct(con, principal, code, scan, details, clock)
            if outcome is None:
                async with con.transaction():
                    outcome = await _in_transaction(con, principal, code, scan, details, clock, trusted_handover)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != store.CLIENT_EVENT_ID_UNIQUE:
                raise
            return await _replay(con, code, scan, clock)
    if isinstance(outcome, _Failed):
        raise outcome.error
    return outcome
