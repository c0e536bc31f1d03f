"""What pages call statuses and events: one source, the texts of ``postal.domain.lifecycle``.

Raw names (``picked_up``, ``arrived``) are never shown to a person; a name the lifecycle does not
know (an event a carrier reported that we keep in the timeline) reads as a Vietnamese placeholder.
"""

from __future__ import annotations

from postal.domain.lifecycle import Direction, Status
from postal.domain.status_texts import status_text, timeline_text

UNKNOWN_EVENT = "Cập nhật khác từ đơn vị vận chuyển"
UNKNOWN_STATUS = "Trạng thái khác"


def event_label(name: str) -> str:
    """A timeline entry (scan event or note such as ``rescheduled``) as a person reads it, in Vietnamese."""
    text = timeline_text(name)
    return UNKNOWN_EVENT if text == name else text


def status_label(name: str, direction: str = "delivery") -> str:
    """A status as a person reads it, in Vietnamese; pickup orders read as the dossier's journey."""
    if name not in Status.__members__:
        return UNKNOWN_STATUS
    return status_text(Status(name), Direction(direction) if direction in Direction.__members__ else Direction.delivery)


# For filters and lists where the direction is not at hand.
STATUS_LABELS: dict[str, str] = {s.value: status_text(s) for s in Status}
