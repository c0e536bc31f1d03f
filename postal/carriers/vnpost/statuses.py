"""VNPost status codes → our lifecycle events (SPEC §4, §9) and UPU EMSEVT codes.

Decisions:

- Codes that match a step of our lifecycle become that event and go through the same rules as a
  courier's scan: 6 picked up → ``picked_up``; 7 received at office, 10 in transit, 11 at the
  delivery office → ``arrived``; 12 delivering → ``out_for_delivery``; 14 delivered → ``delivered``
  (trusted: the operator's courier checked the proof); 15 delivery failed → ``delivery_failed``;
  19 returned → ``returned``. The international codes 101–111 (EMA…EMK) map through the UPU table
  (:func:`postal.domain.upu.event_for_upu`).
- **Cancellations** (9 pickup cancelled, 22 delivery cancelled) never change our status: in SPEC §4
  cancelling is a staff decision, and 9 is also how the operator confirms *our* cancellation. They are
  kept as timeline notes flagged ``attention`` so staff see the operator gave up on the order.
- Every other known code (0–5, 8, 13, 16–18, 20, 21) is a timeline note only: it says something true
  about the order but nothing our lifecycle has a step for (a pickup attempt that failed, a return in
  progress, COD paid).
- Unknown codes are kept and logged by the caller (:func:`lookup` answers ``None``).
"""

from __future__ import annotations

from dataclasses import dataclass

from postal.domain.lifecycle import Event
from postal.domain.upu import event_for_upu, upu_code


@dataclass(frozen=True)
class CarrierStatus:
    """What one of the operator's codes means for us."""

    code: int
    text: str  # Vietnamese, as staff read it in the timeline
    event: Event | None  # None: a timeline note only
    upu: str | None
    attention: bool = False  # staff should look (the operator cancelled)


def _s(code: int, text: str, event: Event | None = None, *, upu: str | None = None,
       attention: bool = False) -> CarrierStatus:
    return CarrierStatus(code, text, event, upu if upu is not None else (upu_code(event) if event else None),
                         attention)


_DOMESTIC = [
    _s(0, "Đơn nháp"),
    _s(1, "Đã tạo đơn"),
    _s(2, "Đã yêu cầu thu gom"),
    _s(3, "Đang xử lý"),
    _s(4, "Đang thu gom"),
    _s(5, "Thu gom không thành công"),
    _s(6, "Đã thu gom", Event.picked_up),
    _s(7, "Đã nhận tại bưu cục", Event.arrived),
    _s(8, "Thu hồi không thành công"),
    _s(9, "Huỷ thu gom", attention=True),
    _s(10, "Đang vận chuyển", Event.arrived),
    _s(11, "Đến bưu cục phát", Event.arrived, upu="EMG"),
    _s(12, "Đang phát", Event.out_for_delivery),
    _s(13, "Chuyển tiếp"),
    _s(14, "Phát thành công", Event.delivered),
    _s(15, "Phát không thành công", Event.delivery_failed),
    _s(16, "Đang chuyển hoàn"),
    _s(17, "Đang chuyển hoàn"),
    _s(18, "Đang chuyển hoàn"),
    _s(19, "Đã chuyển hoàn", Event.returned),
    _s(20, "Chuyển hoàn một phần"),
    _s(21, "Đã trả tiền thu hộ (COD)"),
    _s(22, "Huỷ phát", attention=True),
]

_UPU_LETTERS = "ABCDEFGHIJK"
_INTERNATIONAL = [
    _s(101 + i, f"UPU EM{letter}", event_for_upu(f"EM{letter}"), upu=f"EM{letter}")
    for i, letter in enumerate(_UPU_LETTERS)
]

STATUSES: dict[int, CarrierStatus] = {s.code: s for s in (*_DOMESTIC, *_INTERNATIONAL)}
"""Every code SPEC §9 names: 0–22 and 101–111."""


def lookup(code: int) -> CarrierStatus | None:
    """The meaning of a VNPost status code, or None when the code is unknown."""
    return STATUSES.get(code)
