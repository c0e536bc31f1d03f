from datetime import date

import pytest

from postal.domain.deadlines import check_new_due_date, is_overdue, percent
from postal.errors import InvalidInput

DUE = date(2026, 12, 3)


def test_open_shipments_are_overdue_only_after_the_due_day():
    assert not is_overdue("created", DUE, date(2026, 12, 3))
    assert is_overdue("out_for_delivery", DUE, date(2026, 12, 4))


def test_delivered_late_stays_overdue_and_on_time_does_not():
    assert is_overdue("delivered", DUE, date(2026, 12, 10), delivered_on=date(2026, 12, 4))
    assert not is_overdue("delivered", DUE, date(2026, 12, 10), delivered_on=DUE)


def test_cancelled_and_returned_are_not_overdue():
    assert not is_overdue("cancelled", DUE, date(2027, 1, 1))
    assert not is_overdue("returned", DUE, date(2027, 1, 1))


# ---------------------------------------------------------------------------
# Reschedule dates, on time, percentages

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(("new", "due", "words"), [
    (TODAY, date(2026, 11, 20), "sau hôm nay"),
    (date(2026, 11, 30), date(2026, 11, 30), "ngày hẹn hiện tại"),
    (date(2026, 11, 29), date(2026, 11, 30), "ngày hẹn hiện tại"),
    (date(2027, 12, 1), date(2026, 11, 20), "366 ngày"),
])
def test_new_due_date_refusals(new, due, words):
    with pytest.raises(InvalidInput) as caught:
        check_new_due_date(new, due, TODAY)
    assert words in caught.value.detail and caught.value.errors[0].field == "new_date"


def test_new_due_date_accepted_after_today_and_the_date_in_force():
    check_new_due_date(date(2026, 11, 27), date(2026, 11, 20), TODAY)
    check_new_due_date(date(2026, 12, 1), date(2026, 11, 30), TODAY)


def test_percent_two_decimals_half_up():
    assert str(percent(197, 198)) == "99.49"  # 99.4949…
    assert str(percent(2, 3)) == "66.67"
    assert str(percent(1, 8)) == "12.50"
    assert str(percent(5, 5)) == "100.00"
    assert percent(0, 0) is None
