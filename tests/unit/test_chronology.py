"""The impossible-time rule of scans: nothing before the order existed, nothing after-pickup before the pickup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postal.domain.chronology import AFTER_PICKUP, check_chronology
from postal.domain.lifecycle import Event
from postal.errors import InvalidInput

CREATED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PICKED = CREATED + timedelta(hours=3)


@pytest.mark.parametrize("event", list(Event))
def test_nothing_before_the_order_exists(event):
    with pytest.raises(InvalidInput) as refused:
        check_chronology(event, CREATED - timedelta(seconds=1), CREATED, None)
    assert refused.value.errors[0].field == "occurred_at"
    assert "occurred_at" in refused.value.detail and "tạo đơn" in refused.value.detail
    check_chronology(event, CREATED, CREATED, None)  # the same instant is possible


@pytest.mark.parametrize("event", sorted(AFTER_PICKUP))
def test_after_pickup_events_not_before_the_pickup(event):
    with pytest.raises(InvalidInput) as refused:
        check_chronology(event, PICKED - timedelta(minutes=1), CREATED, PICKED)
    assert refused.value.errors[0].field == "occurred_at" and "nhận bưu gửi" in refused.value.detail
    check_chronology(event, PICKED, CREATED, PICKED)
    check_chronology(event, PICKED + timedelta(days=2), CREATED, PICKED)


def test_the_after_pickup_events_are_the_ones_named():
    assert AFTER_PICKUP == {Event.arrived, Event.out_for_delivery, Event.delivery_failed, Event.delivered}


@pytest.mark.parametrize("event", [Event.picked_up, Event.returned, Event.cancel])
def test_other_events_may_predate_the_pickup(event):
    # a late duplicate pickup, a staff order: only the creation bound applies
    check_chronology(event, PICKED - timedelta(hours=1), CREATED, PICKED)


def test_before_pickup_is_checked_only_once_picked_up():
    check_chronology(Event.delivered, CREATED + timedelta(minutes=5), CREATED, None)
