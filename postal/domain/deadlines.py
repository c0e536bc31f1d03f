"""Due dates and overdue flags (SPEC §6), pure.

A shipment is overdue when it is still open after its due date, or when it was
delivered on a later day than its due date (delivered late). Returned and
cancelled shipments are not counted as overdue: they are reported by status.
"""

from __future__ import annotations

from datetime import date

OPEN_STATUSES = frozenset({"created", "picked_up", "in_transit", "out_for_delivery", "delivery_failed"})


def is_overdue(status: str, due_date: date, today: date, delivered_on: date | None = None) -> bool:
    """True when the shipment is late now (open) or was late (delivered after the due date)."""
    if status in OPEN_STATUSES:
        return today > due_date
    if status == "delivered" and delivered_on is not None:
        return delivered_on > due_date
    return False
