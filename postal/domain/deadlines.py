"""Due dates and overdue flags (SPEC §6), pure.

A shipment is overdue when it is still open after its due date, or when it was
delivered on a later day than its due date (delivered late). Returned and
cancelled shipments are not counted as overdue: they are reported by status.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from postal.domain.lifecycle import OPEN
from postal.errors import FieldError, InvalidInput

OPEN_STATUSES = frozenset(s.value for s in OPEN)


def is_overdue(status: str, due_date: date, today: date, delivered_on: date | None = None) -> bool:
    """True when the shipment is late now (open) or was late (delivered after the due date)."""
    if status in OPEN_STATUSES:
        return today > due_date
    if status == "delivered" and delivered_on is not None:
        return delivered_on > due_date
    return False


MAX_RESCHEDULE_DAYS = 366
"""A new due date further than this from today is a typing error, not a plan."""


def check_new_due_date(new_date: date, current_due: date, today: date) -> None:
    """Refuse a reschedule date that is not after both today and the date in force (InvalidInput)."""
    if new_date <= today:
        message = f"Ngày hẹn mới phải sau hôm nay ({today:%d/%m/%Y})."
    elif new_date <= current_due:
        message = f"Ngày hẹn mới phải sau ngày hẹn hiện tại ({current_due:%d/%m/%Y})."
    elif (new_date - today).days > MAX_RESCHEDULE_DAYS:
        message = f"Ngày hẹn mới không được quá {MAX_RESCHEDULE_DAYS} ngày kể từ hôm nay."
    else:
        return
    raise InvalidInput(message, errors=[FieldError("new_date", message)])


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, two decimals rounded half up (``99.49``); None when ``whole`` is 0."""
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
