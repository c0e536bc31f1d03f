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

The handover proof's rules are in :mod:`postal.domain.handover`, the texts a person reads in
:mod:`postal.domain.status_texts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from postal.errors import FieldError, InvalidInput, TransitionRefused

DEFAULT_MAX_ATTEMPTS = 3


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
    carrier_report = "carrier_report"  # a postal operator's status kept only in the timeline (SPEC §9)


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
