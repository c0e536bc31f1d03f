"""When a scan may say it happened (SPEC §4): never before the shipment existed, never before its pickup.

A late scan (older than the newest applied event) is kept in the timeline without moving the
status. That leniency is for offline devices catching up, not for impossible histories: a
``delivered`` dated before the item was picked up, or any event dated before the order was
created, is a wrong device clock or a wrong item, and is refused (422 on ``occurred_at``).

- **Creation**: ``occurred_at`` earlier than the shipment's ``created_at`` (server time) is refused,
  whatever the event. No clock-skew allowance: a pickup is never seconds after the order is made,
  and the message tells the courier to check the device's clock.
- **Pickup**: the events that only make sense once the item is in the courier's hands
  (:data:`AFTER_PICKUP`) are refused when dated before the *applied* ``picked_up`` event. A late
  second ``picked_up`` is not refused (it is a duplicate, kept and hidden from the citizen).
"""

from __future__ import annotations

from datetime import datetime

from postal.domain.lifecycle import Event
from postal.errors import FieldError, InvalidInput

AFTER_PICKUP: frozenset[Event] = frozenset(
    {Event.arrived, Event.out_for_delivery, Event.delivery_failed, Event.delivered}
)
"""Events that cannot have happened before the item was picked up."""


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, errors=[FieldError("occurred_at", message)])


def check_chronology(
    event: Event, occurred_at: datetime, created_at: datetime, picked_up_at: datetime | None
) -> None:
    """Raise :class:`InvalidInput` (field ``occurred_at``) when the scan's time is impossible.

    ``created_at`` is when the shipment was registered; ``picked_up_at`` the device time of the
    applied ``picked_up`` event, or None when the item has not been picked up.
    """
    if occurred_at < created_at:
        raise _refuse(
            "Thời điểm sự kiện (occurred_at) sớm hơn lúc tạo đơn: bưu gửi chưa tồn tại vào lúc đó. "
            "Hãy kiểm tra đồng hồ và múi giờ của thiết bị, hoặc mã bưu gửi vừa quét."
        )
    if picked_up_at is not None and event in AFTER_PICKUP and occurred_at < picked_up_at:
        raise _refuse(
            "Thời điểm sự kiện (occurred_at) sớm hơn lúc bưu tá nhận bưu gửi: không thể xảy ra trước khi nhận. "
            "Hãy kiểm tra đồng hồ và múi giờ của thiết bị."
        )
