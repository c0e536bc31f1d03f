from datetime import date

from postal.domain.deadlines import is_overdue

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
