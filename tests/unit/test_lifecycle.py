"""The shipment lifecycle: table, max attempts, staff orders, late scans, proof, OTP."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from postal.domain.handover import (
    MAX_VERIFICATION_TRIES,
    Proof,
    Relationship,
    VerificationMethod,
    check_id_last4,
    hash_otp,
    new_otp,
    validate_proof,
    verify_otp,
)
from postal.domain.lifecycle import (
    TERMINAL,
    TRANSITIONS,
    Direction,
    Event,
    ShipmentState,
    Status,
    allowed_events,
    apply,
    is_late,
)
from postal.domain.status_texts import (
    EVENT_TEXT_EN,
    EVENT_TEXT_VI,
    STATUS_TEXT_EN,
    STATUS_TEXT_VI,
    event_text,
    status_text,
)
from postal.errors import InvalidInput, TransitionRefused

# The table of SPEC §4, written out again by hand so a typo in the module shows up.
SPEC_TABLE: dict[Event, tuple[set[Status], Status]] = {
    Event.picked_up: ({Status.created}, Status.picked_up),
    Event.arrived: ({Status.picked_up, Status.in_transit}, Status.in_transit),
    Event.out_for_delivery: (
        {Status.picked_up, Status.in_transit, Status.delivery_failed},
        Status.out_for_delivery,
    ),
    Event.delivery_failed: ({Status.out_for_delivery}, Status.delivery_failed),
    Event.delivered: ({Status.picked_up, Status.in_transit, Status.out_for_delivery}, Status.delivered),
    Event.returned: ({Status.delivery_failed}, Status.returned),
    Event.cancel: ({Status.created}, Status.cancelled),
}
NON_TERMINAL = [s for s in Status if s not in TERMINAL]
COURIER_ALLOWED = [
    (s, e, SPEC_TABLE[e][1]) for e in Event if e is not Event.cancel for s in sorted(SPEC_TABLE[e][0])
]
COURIER_REFUSED = [(s, e) for s in Status for e in Event if e is Event.cancel or s not in SPEC_TABLE[e][0]]


def test_enums_match_spec() -> None:
    assert [s.value for s in Status] == [
        "created", "picked_up", "in_transit", "out_for_delivery",
        "delivery_failed", "delivered", "returned", "cancelled",
    ]  # fmt: skip
    assert {e.value for e in Event} == {
        "picked_up", "arrived", "out_for_delivery", "delivery_failed", "delivered", "returned", "cancel",
    }  # fmt: skip
    assert TERMINAL == {Status.delivered, Status.returned, Status.cancelled}
    assert {d.value for d in Direction} == {"pickup", "delivery"}


def test_table_is_the_spec_table() -> None:
    assert {e: (set(src), dst) for e, (src, dst) in TRANSITIONS.items()} == SPEC_TABLE


@pytest.mark.parametrize(("status", "event", "target"), COURIER_ALLOWED)
def test_every_allowed_pair(status: Status, event: Event, target: Status) -> None:
    assert apply(ShipmentState(status), event).status is target
    assert apply(ShipmentState(status), event, by_staff=True).status is target


@pytest.mark.parametrize(("status", "event"), COURIER_REFUSED)
def test_every_refused_pair_for_a_courier(status: Status, event: Event) -> None:
    state = ShipmentState(status)
    with pytest.raises(TransitionRefused) as info:
        apply(state, event)
    assert info.value.current == status.value
    assert info.value.allowed == [e.value for e in allowed_events(state)]
    assert f"'{event.value}'" in info.value.detail
    assert f"'{status.value}'" in info.value.detail
    assert info.value.status == 409


def test_refusal_message_names_status_and_allowed_events() -> None:
    with pytest.raises(TransitionRefused) as info:
        apply(ShipmentState(Status.created), Event.delivered, by_staff=True)
    assert info.value.detail == (
        "Không thể ghi nhận 'delivered' khi bưu gửi đang ở trạng thái 'created'. "
        "Được phép: picked_up, returned, cancel."
    )
    assert info.value.allowed == ["picked_up", "returned", "cancel"]
    with pytest.raises(TransitionRefused) as info:
        apply(ShipmentState(Status.created), Event.delivered)
    assert info.value.detail.endswith("Được phép: picked_up.")


def test_terminal_statuses_accept_nothing_even_from_staff() -> None:
    for status in TERMINAL:
        assert allowed_events(ShipmentState(status), by_staff=True) == []
        with pytest.raises(TransitionRefused, match="trạng thái cuối"):
            apply(ShipmentState(status), Event.returned, by_staff=True)


def test_cancel_is_staff_only() -> None:
    with pytest.raises(TransitionRefused, match="chỉ nhân viên"):
        apply(ShipmentState(Status.created), Event.cancel)
    assert apply(ShipmentState(Status.created), Event.cancel, by_staff=True).status is Status.cancelled
    assert allowed_events(ShipmentState(Status.created)) == [Event.picked_up]


@pytest.mark.parametrize("status", NON_TERMINAL)
def test_staff_may_order_a_return_from_any_non_terminal_status(status: Status) -> None:
    assert apply(ShipmentState(status), Event.returned, by_staff=True).status is Status.returned


def test_delivery_failed_counts_attempts() -> None:
    state = ShipmentState(Status.out_for_delivery, failed_attempts=1)
    assert apply(state, Event.delivery_failed) == ShipmentState(Status.delivery_failed, 2)
    assert apply(ShipmentState(Status.delivery_failed, 2), Event.out_for_delivery).failed_attempts == 2


def test_after_max_attempts_only_return_is_allowed() -> None:
    state = ShipmentState(Status.picked_up)
    for _ in range(3):
        state = apply(apply(state, Event.out_for_delivery), Event.delivery_failed)
    assert state == ShipmentState(Status.delivery_failed, 3)
    assert allowed_events(state) == [Event.returned]
    with pytest.raises(TransitionRefused, match="phải được chuyển hoàn") as info:
        apply(state, Event.out_for_delivery)
    assert info.value.allowed == ["returned"]
    assert "3/3" in info.value.detail
    assert apply(state, Event.returned).status is Status.returned


def test_max_attempts_is_a_parameter() -> None:
    state = ShipmentState(Status.delivery_failed, failed_attempts=1)
    with pytest.raises(TransitionRefused):
        apply(state, Event.out_for_delivery, max_attempts=1)
    assert apply(state, Event.out_for_delivery, max_attempts=5).status is Status.out_for_delivery


def test_allowed_events_agree_with_apply() -> None:
    for status in Status:
        for failed in range(4):
            for by_staff in (False, True):
                state = ShipmentState(status, failed)
                allowed = allowed_events(state, by_staff=by_staff)
                for event in Event:
                    try:
                        apply(state, event, by_staff=by_staff)
                        accepted = True
                    except TransitionRefused:
                        accepted = False
                    assert accepted == (event in allowed)


class LifecycleMachine(RuleBasedStateMachine):
    """Random scans and staff orders never lead to an invalid state."""

    MAX_ATTEMPTS = 3

    def __init__(self) -> None:
        super().__init__()
        self.state = ShipmentState(Status.created)

    @rule(event=st.sampled_from(Event), by_staff=st.booleans())
    def scan(self, event: Event, by_staff: bool) -> None:
        before = self.state
        try:
            after = apply(before, event, by_staff=by_staff, max_attempts=self.MAX_ATTEMPTS)
        except TransitionRefused as refused:
            assert self.state == before  # a refusal changes nothing
            assert refused.allowed == [
                e.value for e in allowed_events(before, by_staff=by_staff, max_attempts=self.MAX_ATTEMPTS)
            ]
            return
        assert before.status not in TERMINAL
        sources, target = TRANSITIONS[event]
        staff_return = by_staff and event is Event.returned
        assert before.status in sources or staff_return
        assert after.status is target
        assert after.failed_attempts == before.failed_attempts + (event is Event.delivery_failed)
        if event is Event.cancel:
            assert by_staff
        self.state = after

    @invariant()
    def status_is_a_status(self) -> None:
        assert isinstance(self.state.status, Status)

    @invariant()
    def attempts_are_bounded(self) -> None:
        assert 0 <= self.state.failed_attempts <= self.MAX_ATTEMPTS

    @invariant()
    def terminal_stays_terminal(self) -> None:
        if self.state.status in TERMINAL:
            for event in Event:
                for by_staff in (False, True):
                    with pytest.raises(TransitionRefused):
                        apply(self.state, event, by_staff=by_staff)


LifecycleMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
TestLifecycleMachine = LifecycleMachine.TestCase


# --- late scans ---------------------------------------------------------------

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=timezone(timedelta(hours=7)))


def test_late_scan_rule() -> None:
    assert is_late(NOW - timedelta(seconds=1), NOW)
    assert not is_late(NOW, NOW)
    assert not is_late(NOW + timedelta(minutes=5), NOW)
    assert not is_late(NOW, None)
    # Same instant in another zone is not late.
    assert not is_late(NOW.astimezone(UTC), NOW)


def test_late_scan_needs_a_timezone() -> None:
    with pytest.raises(InvalidInput) as info:
        is_late(datetime(2026, 12, 2, 9, 0), NOW)
    assert info.value.errors[0].field == "occurred_at"


# --- texts --------------------------------------------------------------------


def test_every_status_and_event_has_texts() -> None:
    assert set(STATUS_TEXT_VI) == set(STATUS_TEXT_EN) == set(Status)
    assert set(EVENT_TEXT_VI) == set(EVENT_TEXT_EN) == set(Event)
    for status in Status:
        for direction in Direction:
            assert status_text(status, direction)
            assert status_text(status, direction, "en")
    assert status_text(Status.delivered) == "Đã giao thành công"
    assert "cơ quan" in status_text(Status.delivered, Direction.pickup)
    assert status_text(Status.in_transit, Direction.pickup) == STATUS_TEXT_VI[Status.in_transit]
    assert event_text(Event.arrived, "en") == "Arrived at post office"
    for text in [*STATUS_TEXT_VI.values(), *EVENT_TEXT_VI.values()]:
        assert unicodedata.is_normalized("NFC", text)


# --- proof --------------------------------------------------------------------

GOOD_PROOF = {
    "recipient_name": "Nguyễn Thị Hồng Nhung",
    "relationship": "self",
    "verification": {"method": "id_last4", "value": "2345"},
}


def test_delivery_proof_is_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "  Nguyễn   Thị Hồng  Nhung ")
    proof = validate_proof(Direction.delivery, {**GOOD_PROOF, "recipient_name": decomposed})
    assert proof == Proof(
        "Nguyễn Thị Hồng Nhung", Relationship.self_, None, VerificationMethod.id_last4, "2345"
    )


def test_authorized_recipient_needs_a_document_number() -> None:
    body = {**GOOD_PROOF, "relationship": "authorized"}
    with pytest.raises(InvalidInput) as info:
        validate_proof(Direction.delivery, body)
    assert [e.field for e in info.value.errors] == ["proof.authorization_number"]
    proof = validate_proof(Direction.delivery, {**body, "authorization_document": " UQ-12/2026 "})
    assert proof.authorization_number == "UQ-12/2026"
    proof = validate_proof(Direction.delivery, {**body, "authorization_number": "7"})
    assert proof.authorization_number == "7"


def test_otp_verification() -> None:
    otp = {"method": "otp", "value": "012 345"}
    proof = validate_proof(Direction.delivery, {**GOOD_PROOF, "verification": otp})
    assert (proof.verification_method, proof.verification_value) == (VerificationMethod.otp, "012345")


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"recipient_name": "   "}, "proof.recipient_name"),
        ({"recipient_name": None}, "proof.recipient_name"),
        ({"recipient_name": 12}, "proof.recipient_name"),
        ({"recipient_name": "A" * 201}, "proof.recipient_name"),
        ({"relationship": "neighbour"}, "proof.relationship"),
        ({"verification": None}, "proof.verification"),
        ({"verification": {"method": "sms", "value": "2345"}}, "proof.verification.method"),
        ({"verification": {"method": "id_last4", "value": "234"}}, "proof.verification.value"),
        ({"verification": {"method": "id_last4", "value": "23456"}}, "proof.verification.value"),
        ({"verification": {"method": "id_last4", "value": "２３４５"}}, "proof.verification.value"),
        ({"verification": {"method": "otp", "value": "2345"}}, "proof.verification.value"),
        ({"verification": {"method": "otp", "value": 123456}}, "proof.verification.value"),
    ],
)
def test_bad_delivery_proof(patch: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_proof(Direction.delivery, {**GOOD_PROOF, **patch})
    assert [e.field for e in info.value.errors] == [field]
    assert info.value.status == 422


def test_missing_proof_lists_every_fault() -> None:
    with pytest.raises(InvalidInput) as info:
        validate_proof(Direction.delivery, {})
    assert [e.field for e in info.value.errors] == [
        "proof.recipient_name", "proof.relationship", "proof.verification",
    ]  # fmt: skip
    with pytest.raises(InvalidInput) as info:
        validate_proof(Direction.delivery, None)
    assert [e.field for e in info.value.errors] == ["proof"]


def test_pickup_proof_needs_only_the_officer_name() -> None:
    assert validate_proof(Direction.pickup, {"recipient_name": "Trần Văn Bình"}) == Proof("Trần Văn Bình")
    with pytest.raises(InvalidInput) as info:
        validate_proof(Direction.pickup, {"relationship": "self"})
    assert [e.field for e in info.value.errors] == ["proof.recipient_name"]


def test_check_id_last4() -> None:
    assert check_id_last4("001199012345", "2345")
    assert check_id_last4("001199012345", " 23 45 ")
    assert not check_id_last4("001199012345", "1234")
    assert not check_id_last4("001199012345", "345")
    assert not check_id_last4("123", "0123")
    assert not check_id_last4("001199012345", "２３４５")


def test_otp_roundtrip() -> None:
    key = b"k" * 32
    code = new_otp()
    assert len(code) == 6 and code.isdigit()
    hashed = hash_otp(code, key)
    assert len(hashed) == 64 and code not in hashed
    assert verify_otp(code, hashed, key)
    assert not verify_otp(code, hashed, b"other key")
    assert not verify_otp(f"{(int(code) + 1) % 10**6:06d}", hashed, key)
    assert not verify_otp("mười hai", hashed, key)
    assert MAX_VERIFICATION_TRIES == 5


@given(st.integers(min_value=0, max_value=10**6 - 1))
def test_otp_hash_is_keyed_and_exact(n: int) -> None:
    code = f"{n:06d}"
    assert verify_otp(code, hash_otp(code, b"key"), b"key")
    assert hash_otp(code, b"key") != hash_otp(code, b"yek")


def test_a_reschedule_note_keeps_the_status_and_is_refused_when_terminal():
    from postal.domain.lifecycle import TERMINAL, Note, ShipmentState, Status, check_note
    from postal.domain.status_texts import timeline_text

    for status in Status:
        state = ShipmentState(status, 1)
        if status in TERMINAL:
            with pytest.raises(TransitionRefused):
                check_note(state, Note.rescheduled)
        else:
            assert check_note(state, Note.rescheduled) == state
    assert "rescheduled" not in {e.value for e in Event}  # no scan can carry it
    assert timeline_text("rescheduled") == "Hẹn lại ngày trả kết quả"
    assert timeline_text("delivered") == "Phát thành công" and timeline_text("mystery") == "mystery"
