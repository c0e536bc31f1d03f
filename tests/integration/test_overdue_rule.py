"""The overdue rule, written twice (pure for views, SQL for lists and the watcher), answers the same.

Each case is one shipment row; it goes through :func:`postal.domain.deadlines.is_overdue` and through
the SQL of ``GET /shipments?overdue=`` (:func:`postal.store.shipments.list_shipments`) and of the overdue
watcher (:func:`postal.store.overdue.claim_new_overdue`, the open half) on a real database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from postal.domain.access import Scope
from postal.domain.deadlines import OPEN_STATUSES, is_overdue
from postal.domain.lifecycle import OPEN, TERMINAL, Status
from postal.store.overdue import claim_new_overdue
from postal.store.shipments import ListFilter, list_shipments

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 5, 4)  # a Monday
YESTERDAY = TODAY - timedelta(days=1)


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TZ)


@dataclass(frozen=True)
class Case:
    name: str
    status: str
    due: date
    completed_at: datetime | None = None
    original_due: date | None = None
    expected: bool = False


CASES = [
    *(Case(f"{s} due yesterday", s, YESTERDAY, expected=True) for s in sorted(OPEN)),
    *(Case(f"{s} due today", s, TODAY) for s in sorted(OPEN)),
    Case("open, due tomorrow", "out_for_delivery", TODAY + timedelta(days=1)),
    Case("open, due on Saturday, today Monday (calendar days, not working days)", "in_transit",
         TODAY - timedelta(days=2), expected=True),
    Case("open, due on a public holiday (30/4), still open", "created", date(2026, 4, 30), expected=True),
    Case("delivered on the due day", "delivered", YESTERDAY, local(YESTERDAY, 15)),
    Case("delivered 23:59:59 local on the due day (16:59:59 UTC)", "delivered", YESTERDAY,
         local(YESTERDAY, 23, 59, 59)),
    Case("delivered 00:00:01 local the next day (still the due day in UTC)", "delivered", YESTERDAY,
         local(TODAY, 0, 0, 1), expected=True),
    Case("delivered 06:59 UTC the next day", "delivered", YESTERDAY,
         datetime(TODAY.year, TODAY.month, TODAY.day, 6, 59, tzinfo=UTC), expected=True),
    Case("delivered early", "delivered", TODAY, local(YESTERDAY, 9)),
    Case("delivered, no completion time", "delivered", YESTERDAY - timedelta(days=5)),
    Case("returned long after due", "returned", YESTERDAY - timedelta(days=30), local(TODAY, 9)),
    Case("cancelled long after due", "cancelled", YESTERDAY - timedelta(days=30), local(TODAY, 9)),
    Case("rescheduled to tomorrow, first due date passed", "out_for_delivery", TODAY + timedelta(days=1),
         original_due=YESTERDAY - timedelta(days=3)),
    Case("rescheduled to today", "delivery_failed", TODAY, original_due=YESTERDAY),
    Case("rescheduled, new date passed too", "delivery_failed", YESTERDAY,
         original_due=YESTERDAY - timedelta(days=3), expected=True),
    Case("rescheduled, delivered after the new date", "delivered", YESTERDAY, local(TODAY, 8),
         original_due=YESTERDAY - timedelta(days=3), expected=True),
    Case("rescheduled, delivered on the new date (late against the first)", "delivered", YESTERDAY,
         local(YESTERDAY, 8), original_due=YESTERDAY - timedelta(days=3)),
]


def pure(case: Case) -> bool:
    delivered_on = case.completed_at.astimezone(TZ).date() if case.completed_at else None
    return is_overdue(case.status, case.due, TODAY, delivered_on)


async def insert(db, cases: list[Case]) -> dict[int, Case]:
    ids = {}
    for i, c in enumerate(cases):
        shipment_id = await db.fetchval(
            "INSERT INTO shipments (tracking_code, direction, status, agency_code, post_office_code, dossier_code,"
            " citizen_name, citizen_phone, address_line, ward_code, province_code, due_date, completed_at,"
            " original_due_date)"
            " VALUES ($1, 'delivery', $2, 'AG-1', 'PO-1', $3, 'Tên', '0912345678', 'Số 1', '08707', '25', $4, $5, $6)"
            " RETURNING id",
            f"RB{80000000 + i:08d}VN", c.status, f"D-{i}", c.due, c.completed_at, c.original_due)
        ids[shipment_id] = c
    return ids


def test_the_cases_say_what_they_mean():
    """The table itself is right: each expected answer is the pure rule's."""
    wrong = [c.name for c in CASES if pure(c) != c.expected]
    assert wrong == []


async def test_sql_and_pure_rule_agree_on_every_case(world, db):
    ids = await insert(db, CASES)
    overdue = {r["id"] for r in await list_shipments(db, Scope(), ListFilter(overdue=True, today=TODAY, limit=500))}
    on_time = {r["id"] for r in await list_shipments(db, Scope(), ListFilter(overdue=False, today=TODAY, limit=500))}
    disagree = [(c.name, pure(c), i in overdue) for i, c in ids.items() if pure(c) != (i in overdue)]
    assert disagree == []
    assert overdue | on_time == set(ids) and not overdue & on_time


async def test_watcher_claims_exactly_the_open_overdue(world, db):
    ids = await insert(db, CASES)
    async with db.transaction():
        claimed = {r["id"] for r in await claim_new_overdue(db, TODAY, 500)}
    expected = {i for i, c in ids.items() if pure(c) and c.status in OPEN_STATUSES}
    assert claimed == expected
    assert len(expected) == len(OPEN) + 3  # every open status due yesterday, Saturday, the holiday, the reschedule


async def test_status_sets_come_from_the_lifecycle_and_match_the_partial_indexes(db):
    """The SQL literal the overdue fragment writes (kept literal so the partial indexes apply) names the
    lifecycle's terminal set, and so do the migrations' index predicates."""
    assert OPEN | TERMINAL == set(Status) and not OPEN & TERMINAL
    assert OPEN_STATUSES == {s.value for s in OPEN}
    for name in ("shipments_open_due", "shipments_open_dossier_uq"):
        definition = await db.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = $1", name)
        named = {s.value for s in Status if f"'{s.value}'" in definition}
        assert named == {s.value for s in TERMINAL}, (name, definition)
