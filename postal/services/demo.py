"""Demo data: an agency, a post office, one user of each role, and shipments in every status.

Safe to run twice: what exists is kept, and shipments are only added to an empty demo agency.

Every status is reached the way it is in real life: the courier's scans go through the scan
service (:func:`postal.services.recording.record_scan`, with the handover proof for ``delivered``) and
the cancellation through the staff service, never by writing a status. Times are consistent:
each shipment is registered first (in office hours within the last week), its scans follow in
increasing ``occurred_at`` after that (also in office hours) and before now, and nothing is dated
in the future; a cancellation is recorded now, as staff would.
Some open shipments are past their due date (overdue).
"""

from __future__ import annotations

import bisect
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

import asyncpg

from postal.domain.access import Principal, Role
from postal.domain.codes import make_s10
from postal.domain.lifecycle import Event
from postal.errors import Conflict
from postal.services import demo_selfservice
from postal.services.accounts import NewAgency, add_agency, add_post_office, add_user
from postal.services.recording import LocationIn, ProofIn, ScanIn, VerificationIn, record_scan
from postal.services.shipments import cancel_shipment
from postal.services.views import Clock
from postal.settings import Settings
from postal.store import accounts as accounts_store
from postal.store import shipments as store

POST_OFFICE = "BC-VINHYEN"
AGENCY = "PVHCC-PT"
PASSWORD = "postal-demo-2026"  # noqa: S105 - the published demo password, printed by `postal demo`
USERS = [("admin", Role.admin), ("canbo", Role.staff), ("buuta", Role.courier), ("motcua", Role.integration)]

NAMES = ["Nguyễn Thị Hồng Nhung", "Trần Văn Đức", "Lê Hoàng Yến", "Phạm Quốc Việt", "Đặng Thị Ánh Tuyết",
         "Vũ Minh Hiếu", "Bùi Thị Thu Hường", "Hoàng Văn Lực", "Ngô Thị Mỹ Duyên", "Đỗ Trọng Nghĩa"]
DOSSIER_AGENCY_ID = "000.00.15.H62"  # the agency part of the demo agency's dossier codes
OFFICER = "Trần Thị Thu Hà"  # the agency officer who receives collected dossiers
PROCEDURES = [("1.004227", "Cấp đổi giấy phép lái xe"), ("1.001612", "Đăng ký khai sinh"),
              ("2.000889", "Cấp phiếu lý lịch tư pháp"), ("1.000656", "Đăng ký kết hôn")]
WARDS = ["08707", "08716", "08740"]
VINH_YEN = (21.3089, 105.6049)
EVENT_IDS = uuid.UUID("5b1c2f3e-6d7a-4e8b-9c0d-1e2f3a4b5c6d")
"""Namespace of the demo scans' ``client_event_id`` (one per shipment and step)."""

# The path each demo shipment walks; the last status is where it stays.
PATHS: list[list[Event]] = [
    [],
    [Event.picked_up],
    [Event.picked_up, Event.arrived],
    [Event.picked_up, Event.arrived, Event.out_for_delivery],
    [Event.picked_up, Event.arrived, Event.out_for_delivery, Event.delivery_failed],
    [Event.picked_up, Event.arrived, Event.out_for_delivery, Event.delivered],
    [Event.picked_up, Event.arrived, Event.out_for_delivery, Event.delivery_failed, Event.returned],
    [Event.cancel],
]
SHIPMENTS = 40
DEMO_DAYS = timedelta(days=7)
SLOT_MINUTES = 15
OVERDUE_EVERY = 5
"""Every 5th shipment (counting from the second) is due yesterday: the open ones among them are overdue."""


async def _base(con: asyncpg.Connection) -> None:
    await add_post_office(con, POST_OFFICE, "Bưu cục Vĩnh Yên", "25")
    await add_agency(con, NewAgency(AGENCY, "Trung tâm Phục vụ hành chính công tỉnh Phú Thọ", "25", "08707",
                                    POST_OFFICE, "Số 2 đường Hai Bà Trưng",  # the ward is printed from its code
                                    dossier_agency_id=DOSSIER_AGENCY_ID))
    for username, role in USERS:
        await add_user(con, username, role, password=PASSWORD,
                       agency_code=AGENCY if role in (Role.staff, Role.integration) else None,
                       post_office_code=POST_OFFICE if role is Role.courier else None)


async def load_demo(con: asyncpg.Connection, settings: Settings) -> list[str]:
    """Load the demo data (once) and return the lines to print."""
    try:
        async with con.transaction():
            await _base(con)
    except Conflict:
        pass  # already loaded
    count = await store.count_of_agency(con, AGENCY)
    if count == 0:
        await _shipments(con, settings)
    users = ", ".join(f"{u} ({r.value})" for u, r in USERS if r is not Role.integration)
    integrations = ", ".join(u for u, r in USERS if r is Role.integration)
    self_service = await demo_selfservice.load(con, settings, AGENCY)
    return [
        f"Demo data ready: agency {AGENCY}, post office {POST_OFFICE}.",
        f"Sign in at {settings.public_url}/login as {users}; password: {PASSWORD}",
        f"Integration account {integrations}: API token only (`postal token create {integrations}`).",
        f"Staff console {settings.public_url}/staff · courier {settings.public_url}/courier · "
        f"API {settings.public_url}/api/v1/openapi.json",
        _channels_line(settings),
        *self_service,
    ]


def _channels_line(settings: Settings) -> str:
    """Where a newcomer sees the messages sent to citizens (the `log` channel prints them)."""
    if "log" in settings.channel_names:
        return ("Tin nhắn gửi công dân (mã xác nhận, đã giao, …) hiện trên console của `postal serve` "
                "(kênh log, số điện thoại che bớt); `postal notifications` liệt kê các tin gần nhất.")
    return (f"Kênh thông báo: {settings.notify_channels}. Đặt POSTAL_NOTIFY_CHANNELS=log để xem tin nhắn "
            "trên console; `postal notifications` liệt kê các tin gần nhất.")


@dataclass(frozen=True)
class _Planned:
    """One demo shipment: when it was registered, who it is for, the path it walks and when."""

    index: int
    direction: str
    created: datetime
    due: date
    path: list[Event]
    moments: list[datetime]


def working_slots(start: datetime, end: datetime, settings: Settings) -> list[datetime]:
    """Every quarter hour from ``start`` to ``end`` that falls in office hours (07:30–17:30, Monday to
    Saturday, local time): when counters are open and couriers out, so the demo reads like real work."""
    slot = start.astimezone(settings.tz).replace(second=0, microsecond=0)
    slot += timedelta(minutes=-slot.minute % SLOT_MINUTES)
    slots = []
    while slot <= end:
        if slot.weekday() < 6 and time(7, 30) <= slot.time() < time(17, 30):
            slots.append(slot)
        slot += timedelta(minutes=SLOT_MINUTES)
    return slots


def _plan(rng: random.Random, i: int, slots: list[datetime], now: datetime, settings: Settings) -> _Planned:
    """Registration at an office-hours slot, then the path's scans at later slots, in order, before now."""
    path = PATHS[i % len(PATHS)]
    overdue = i % OVERDUE_EVERY == 1
    old_enough = bisect.bisect_right(slots, now - timedelta(days=3))
    last = len(slots) - len(PATHS) - 1  # room for the longest path after the registration
    at = rng.randrange(0, old_enough) if overdue else rng.randrange(0, last)
    created = slots[at]
    moments = sorted(rng.sample(slots[at + 1:], len(path)))
    today = now.astimezone(settings.tz).date()
    due = today - timedelta(days=1) if overdue else created.date() + timedelta(days=rng.randint(2, 7))
    return _Planned(i, "delivery" if i % 3 else "pickup", created, due, path, moments)


async def _shipments(con: asyncpg.Connection, settings: Settings) -> None:
    rng = random.Random(2026)  # a fixed seed: the same demo every time (relative to now)
    clock = Clock(settings)
    now = clock.now()
    staff = Principal((await accounts_store.user_by_username(con, "canbo"))["id"], "canbo", Role.staff,
                      agency_code=AGENCY)
    courier = Principal((await accounts_store.user_by_username(con, "buuta"))["id"], "buuta",
                        Role.courier, post_office_code=POST_OFFICE)
    slots = working_slots(now - DEMO_DAYS, now - timedelta(minutes=5), settings)
    planned = [_plan(rng, i, slots, now, settings) for i in range(SHIPMENTS)]
    async with con.transaction():  # the shipments appear together or not at all
        codes = [await _insert(con, settings, rng, p, staff.user_id) for p in planned]
    pool = cast(asyncpg.Pool, _OneConnection(con))
    for p, (code, id_number) in zip(planned, codes, strict=True):
        await _walk(pool, clock, p, code, id_number, staff, courier)


async def _insert(con: asyncpg.Connection, settings: Settings, rng: random.Random, p: _Planned,
                  staff_id: int) -> tuple[str, str]:
    """Register one shipment at its planned time; returns its tracking code and the citizen's ID number."""
    code, name = PROCEDURES[p.index % len(PROCEDURES)]
    created_day = p.created.date()  # a slot is in local time
    tracking_code = make_s10(settings.s10_prefix, await store.next_serial(con))
    id_number = f"0011990{rng.randint(10_000, 99_999)}"
    await store.insert_shipment(con, store.NewShipment(
        tracking_code=tracking_code,
        direction=p.direction, agency_code=AGENCY, post_office_code=POST_OFFICE,
        dossier_code=f"{DOSSIER_AGENCY_ID}-{created_day:%y%m%d}-{1000 + p.index:04d}",
        procedure_code=code, procedure_name=name,
        appointment_date=p.due if p.direction == "delivery" else None,
        citizen_name=NAMES[p.index % len(NAMES)], citizen_phone=f"09{rng.randint(10_000_000, 99_999_999)}",
        citizen_id_number=id_number,
        address_line=f"Số {rng.randint(1, 200)} đường Hùng Vương", ward_code=WARDS[p.index % len(WARDS)],
        province_code="25", cod_amount=rng.choice([0, 0, 50_000, 1_250_000]),
        due_date=p.due, created_by=staff_id, created_at=p.created,
    ))
    return tracking_code, id_number


def _scan(p: _Planned, code: str, step: int, event: Event, at: datetime, name: str, id_number: str) -> ScanIn:
    """The scan a courier's device would send for this step."""
    extra: dict[str, Any] = {}
    if event is Event.delivery_failed:
        extra["reason_code"] = "absent"
    if event is Event.delivered and p.direction == "pickup":
        extra["proof"] = ProofIn(recipient_name=OFFICER)
    elif event is Event.delivered:
        extra["proof"] = ProofIn(recipient_name=name, relationship="self",
                                 verification=VerificationIn(method="id_last4", value=id_number[-4:]))
    return ScanIn(code=code, event=event, occurred_at=at, client_event_id=uuid.uuid5(EVENT_IDS, f"{code}/{step}"),
                  location=LocationIn(lat=VINH_YEN[0], lon=VINH_YEN[1]), **extra)


async def _walk(pool: asyncpg.Pool, clock: Clock, p: _Planned, code: str, id_number: str, staff: Principal,
                courier: Principal) -> None:
    """Move the shipment along its path through the services couriers and staff use."""
    name = NAMES[p.index % len(NAMES)]
    for step, (event, at) in enumerate(zip(p.path, p.moments, strict=True)):
        if event is Event.cancel:
            await cancel_shipment(pool, staff, code, clock)  # staff cancel now: after everything else
        else:
            await record_scan(pool, courier, _scan(p, code, step, event, at, name, id_number), clock)


class _OneConnection:
    """The CLI's single connection where the services expect a pool (they only ``acquire()`` it)."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        yield self._con
