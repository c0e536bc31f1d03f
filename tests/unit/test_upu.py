"""UPU EMSEVT codes for our events."""

from __future__ import annotations

import pytest

from postal.domain.lifecycle import Event
from postal.domain.upu import EVENT_TO_UPU, UPU_DESCRIPTIONS, upu_code


@pytest.mark.parametrize(
    ("event", "code"),
    [
        (Event.picked_up, "EMA"),
        (Event.arrived, "EMD"),
        (Event.out_for_delivery, "EMG"),
        (Event.delivery_failed, "EMH"),
        (Event.delivered, "EMI"),
        (Event.returned, None),
        (Event.cancel, None),
    ],
)
def test_upu_code(event: Event, code: str | None) -> None:
    assert upu_code(event) == code


def test_every_event_is_mapped_to_a_described_code() -> None:
    assert set(EVENT_TO_UPU) == set(Event)
    for code in EVENT_TO_UPU.values():
        assert code is None or code in UPU_DESCRIPTIONS


def test_descriptions_cover_ema_to_emk() -> None:
    assert sorted(UPU_DESCRIPTIONS) == [f"EM{c}" for c in "ABCDEFGHIJK"]
    assert UPU_DESCRIPTIONS["EMA"] == "Posting/collection"
    assert UPU_DESCRIPTIONS["EMI"] == "Final delivery"
