"""Working days: weekends, Vietnam's public holidays, compensatory Saturdays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postal.domain.calendar import WorkCalendar, official_holidays, official_working_weekends


@pytest.fixture(scope="module")
def vn() -> WorkCalendar:
    return WorkCalendar.official([2025, 2026])


def test_official_holidays_2026_cover_the_fixed_and_lunar_days() -> None:
    days = dict(official_holidays(2026))
    assert date(2026, 1, 1) in days
    assert days[date(2026, 2, 17)] == "Tết Nguyên Đán"  # mùng 1 Tết Bính Ngọ
    tet = [d for d, name in days.items() if "Tết Nguyên Đán" in name]
    assert len(tet) >= 5
    assert "Hùng Vương" in days[date(2026, 4, 26)]  # 10/3 âm lịch
    assert date(2026, 4, 30) in days and date(2026, 5, 1) in days
    # Since 2025 National Day is two days (2/9 and the day next to it).
    assert date(2026, 9, 2) in days and date(2026, 9, 1) in days
    assert all(d.year == 2026 for d in days)
    assert list(days) == sorted(days)


def test_holiday_names_can_be_english() -> None:
    names = dict(official_holidays(2026, language="en_US"))
    assert names[date(2026, 2, 17)] == "Lunar New Year"


def test_national_day_is_two_days_from_2025() -> None:
    days = dict(official_holidays(2025))
    assert date(2025, 9, 1) in days and date(2025, 9, 2) in days


def test_official_working_weekends_are_this_years_saturdays() -> None:
    assert official_working_weekends(2026) == [date(2026, 8, 22)]
    assert all(d.year == 2025 and d.weekday() == 5 for d in official_working_weekends(2025))


def test_weekends_are_not_working_days() -> None:
    plain = WorkCalendar()
    assert plain.is_working_day(date(2026, 3, 13))  # Friday
    assert not plain.is_working_day(date(2026, 3, 14))  # Saturday
    assert not plain.is_working_day(date(2026, 3, 15))  # Sunday
    assert plain.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 16)
    assert plain.add_working_days(date(2026, 3, 14), 1) == date(2026, 3, 16)
    assert plain.add_working_days(date(2026, 3, 9), 5) == date(2026, 3, 16)


def test_zero_days_is_the_start_even_on_a_holiday(vn: WorkCalendar) -> None:
    assert vn.add_working_days(date(2026, 2, 17), 0) == date(2026, 2, 17)
    with pytest.raises(ValueError):
        vn.add_working_days(date(2026, 2, 17), -1)


def test_tet_2026_is_skipped(vn: WorkCalendar) -> None:
    assert not vn.is_working_day(date(2026, 2, 17))
    # Friday 13 Feb + 1 working day: the Tết week (16–20 Feb) is off, so Monday 23 Feb.
    assert vn.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert vn.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1


def test_national_day_2026_and_its_compensatory_saturday(vn: WorkCalendar) -> None:
    # 31/8 (moved from Saturday 22/8), 1/9 and 2/9 are off; Saturday 22/8 is worked.
    assert vn.is_working_day(date(2026, 8, 22))
    assert vn.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)
    assert vn.add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)
    assert not vn.is_working_day(date(2026, 9, 2))


def test_hung_kings_and_may_days_2026(vn: WorkCalendar) -> None:
    assert not vn.is_working_day(date(2026, 4, 27))  # substitute for Sunday 26/4
    assert vn.add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)


def test_extra_working_days_and_holiday_precedence() -> None:
    saturday = date(2026, 3, 14)
    cal = WorkCalendar(holiday_dates=[date(2026, 3, 16)], extra_working_days=[saturday])
    assert cal.is_working_day(saturday)
    assert cal.add_working_days(date(2026, 3, 13), 2) == date(2026, 3, 17)
    both = WorkCalendar(holiday_dates=[saturday], extra_working_days=[saturday])
    assert not both.is_working_day(saturday)


def test_working_days_between_is_signed() -> None:
    cal = WorkCalendar()
    assert cal.working_days_between(date(2026, 3, 9), date(2026, 3, 9)) == 0
    assert cal.working_days_between(date(2026, 3, 9), date(2026, 3, 16)) == 5
    assert cal.working_days_between(date(2026, 3, 16), date(2026, 3, 9)) == -5


@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 11, 30)),
    n=st.integers(min_value=0, max_value=40),
)
def test_add_and_between_are_inverse(start: date, n: int) -> None:
    cal = WorkCalendar.official([2025, 2026, 2027])
    end = cal.add_working_days(start, n)
    assert cal.working_days_between(start, end) == n
    if n:
        assert cal.is_working_day(end)
        assert cal.working_days_between(start, end - timedelta(days=1)) == n - 1
