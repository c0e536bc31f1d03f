"""The one-statement scan path asks the lifecycle exactly what the lifecycle answers (no I/O)."""

from __future__ import annotations

import pytest

from postal.domain.lifecycle import Event, ShipmentState, Status, allowed_events, apply
from postal.domain.signing import qr_payload, sign_code
from postal.errors import InvalidInput
from postal.services.recording import FAILURE_REASONS, direct_rule, resolve_code

KEY = b"unit-test-key"


@pytest.mark.parametrize("max_attempts", [1, 3, 5])
@pytest.mark.parametrize("event", list(Event))
def test_direct_rule_matches_the_lifecycle_for_every_state(event, max_attempts):
    rule = direct_rule(event, max_attempts)
    if rule is None:
        return
    for status in Status:
        for failed in range(max_attempts + 1):
            state = ShipmentState(status, failed)
            allowed = event in allowed_events(state, max_attempts=max_attempts)
            assert allowed == (status in rule.from_statuses), (event, state)
            if allowed:
                after = apply(state, event, max_attempts=max_attempts)
                assert after.status is rule.to_status
                assert after.failed_attempts == failed + rule.attempts_added


def test_events_with_more_to_check_take_the_locked_path():
    for event in (Event.delivered, Event.out_for_delivery, Event.cancel):
        assert direct_rule(event, 3) is None
    assert direct_rule(Event.arrived, 3) is not None


def test_resolve_code_forms():
    code = "RA123456785VN"
    assert resolve_code(" ra 1234 5678 5vn ", KEY) == code
    assert resolve_code(qr_payload("https://x.example", code, KEY), KEY) == code
    assert resolve_code(f"{code}.{sign_code(code, KEY).lower()}", KEY) == code
    with pytest.raises(InvalidInput):
        resolve_code(f"https://x.example/q/{code}.AAAAAAAA", KEY)
    with pytest.raises(InvalidInput):
        resolve_code("RA123456780VN", KEY)


def test_failure_reasons_are_documented_in_vietnamese():
    assert {"absent", "wrong_address", "refused", "no_id", "other"} <= set(FAILURE_REASONS)
    assert all(text and text[0].isupper() for text in FAILURE_REASONS.values())
