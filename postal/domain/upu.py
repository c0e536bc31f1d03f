"""UPU EMSEVT event codes for exporting our events (SPEC §9).

The codes are the UPU EMSEVT "EM*" milestones (the range EMA…EMK that the VNPost
partner API reports as its codes 101–111):

- EMA posting/collection, EMB arrival at outward office of exchange, EMC departure
  from outward office of exchange, EMD arrival at inward office of exchange, EME held
  by import customs, EMF departure from inward office of exchange, EMG arrival at
  delivery office, EMH unsuccessful (physical) delivery, EMI final delivery, EMJ arrival
  at transit office of exchange, EMK departure from transit office of exchange.

Our mapping (a domestic service, so "office of exchange" reads as "post office"):

- ``picked_up`` → EMA; ``arrived`` → EMD; ``delivery_failed`` → EMH; ``delivered`` → EMI.
- ``out_for_delivery`` → EMG: the item is at the delivery office and leaves with the
  courier. EMSEVT's finer EDG ("out for physical delivery") is outside EMA…EMK,
  which is what partner systems read.
- ``returned`` and ``cancel`` have no EMSEVT milestone: returning is a new leg
  towards the sender and a cancelled order never entered the network, so both
  export as ``None`` (not sent).
"""

from __future__ import annotations

from postal.domain.lifecycle import Event

UPU_DESCRIPTIONS: dict[str, str] = {
    "EMA": "Posting/collection",
    "EMB": "Arrival at outward office of exchange",
    "EMC": "Departure from outward office of exchange",
    "EMD": "Arrival at inward office of exchange",
    "EME": "Held by import customs",
    "EMF": "Departure from inward office of exchange",
    "EMG": "Arrival at delivery office",
    "EMH": "Unsuccessful (physical) delivery",
    "EMI": "Final delivery",
    "EMJ": "Arrival at transit office of exchange",
    "EMK": "Departure from transit office of exchange",
}

EVENT_TO_UPU: dict[Event, str | None] = {
    Event.picked_up: "EMA",
    Event.arrived: "EMD",
    Event.out_for_delivery: "EMG",
    Event.delivery_failed: "EMH",
    Event.delivered: "EMI",
    Event.returned: None,
    Event.cancel: None,
}


def upu_code(event: Event | str) -> str | None:
    """The UPU EMSEVT code for one of our events, or None when it has none (or is not ours: a
    carrier-reported event kept in the timeline must not break the page that shows it)."""
    return EVENT_TO_UPU.get(Event(event)) if event in Event.__members__ else None
