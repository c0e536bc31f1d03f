"""Working days in Vietnam (SPEC §6).

Working days are Monday to Friday, minus public holidays, plus the compensatory
Saturdays the government announces when it shifts a day off ("ngày làm bù").
Tết and the Hùng Kings' day follow the lunar calendar and day-off shifts are
announced each year, so the service keeps holidays in an admin-editable table;
:func:`official_holidays` and :func:`official_working_weekends` give the seed
values from the ``holidays`` package, and :class:`WorkCalendar` computes with
whatever set of dates it is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays

_SATURDAY = 5  # date.weekday(): Monday is 0


def _vn_holidays(years: int | Iterable[int], language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=years, language=language)


def official_holidays(year: int, *, language: str = "vi") -> list[tuple[date, str]]:
    """Vietnam's public holidays (days off) of ``year``, sorted, named in ``language``.

    ``language`` is one of ``holidays.VN.supported_languages`` (``vi``, ``en_US``, ``th``).
    Includes the official day-off shifts the package knows about.
    """
    table = _vn_holidays(year, language)
    return sorted((d, name) for d, name in table.items() if d.year == year)


def official_working_weekends(year: int) -> list[date]:
    """The weekend days of ``year`` that are working days (compensatory Saturdays)."""
    table = _vn_holidays(year, "vi")
    # weekend_workdays is shared across years in the package: keep only this year's.
    return sorted(d for d in table.weekend_workdays if d.year == year)


class WorkCalendar:
    """Working-day arithmetic over a given set of holidays and extra working days.

    A date that is both a holiday and an extra working day counts as a holiday:
    a day off is the safer reading for a citizen's deadline.
    """

    def __init__(self, holiday_dates: Iterable[date] = (), extra_working_days: Iterable[date] = ()) -> None:
        self.holidays: frozenset[date] = frozenset(holiday_dates)
        self.extra_working_days: frozenset[date] = frozenset(extra_working_days)

    @classmethod
    def official(cls, years: Iterable[int]) -> WorkCalendar:
        """A calendar seeded from the ``holidays`` package for ``years``."""
        years = list(years)
        days_off = [d for y in years for d, _ in official_holidays(y)]
        extra = [d for y in years for d in official_working_weekends(y)]
        return cls(days_off, extra)

    def is_working_day(self, d: date) -> bool:
        """True for a weekday that is not a holiday, or an announced working weekend day."""
        if d in self.holidays:
            return False
        return d.weekday() < _SATURDAY or d in self.extra_working_days

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself is not counted; n=0 → start)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in ``(a, b]``; negative when ``b`` is before ``a``.

        The inverse of :meth:`add_working_days`: ``working_days_between(s, add_working_days(s, n)) == n``.
        """
        if b < a:
            return -self.working_days_between(b, a)
        days = (a + timedelta(days=i) for i in range(1, (b - a).days + 1))
        return sum(1 for d in days if self.is_working_day(d))
