"""Demo data: an agency, a post office, one user of each role, and shipments in every status.

Safe to run twice: what exists is kept, and shipments are only added to an empty demo agency.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import asyncpg

from postal.domain.access import Role
from postal.domain.codes import make_s10
from postal.domain.lifecycle import Event, ShipmentState, Status, apply, hash_otp, new_otp
from postal.errors import Conflict
from postal.services.accounts import NewAgency, add_agency, add_post_office, add_user
from postal.settings import Settings
from postal.store import scans as scans_store
from postal.store import shipments as store

POST_OFFICE = "BC-VINHYEN"
AGENCY = "PVHCC-PT"
PASSWORD = "postal-demo-2026"  # noqa: S105 - the published demo password, printed by `postal demo`
USERS = [("admin", Role.admin), ("canbo", Role.staff), ("buuta", Role.courier), ("motcua", Role.integration)]

NAMES = ["Nguyễn Thị Hồng Nhung", "Trần Văn Đức", "Lê Hoàng Yến", "Phạm Quốc Việt", "Đặng Thị Ánh Tuyết",
         "Vũ Minh Hiếu", "Bùi Thị Thu Hường", "Hoàng Văn Lực", "Ngô Thị Mỹ Duyên", "Đỗ Trọng Nghĩa"]
PROCEDURES = [("1.004227", "Cấp đổi giấy phép lái xe"), ("1.001612", "Đăng ký khai sinh"),
              ("2.000889", "Cấp phiếu lý lịch tư pháp"), ("1.000656", "Đăng ký kết hôn")]
WARDS = ["08707", "08716", "08740"]

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


async def _base(con: asyncpg.Connection) -> None:
    await add_post_office(con, POST_OFFICE, "Bưu cục Vĩnh Yên", "25")
    await add_agency(con, NewAgency(AGENCY, "Trung tâm Phục vụ hành chính công tỉnh Phú Thọ", "25", "08707",
                                    POST_OFFICE, "Số 2 đường Hai Bà Trưng, Phường Vĩnh Yên"))
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
    count = await con.fetchval("SELECT count(*) FROM shipments WHERE agency_code = $1", AGENCY)
    if count == 0:
        async with con.transaction():
            await _shipments(con, settings)
    users = ", ".join(f"{u} ({r.value})" for u, r in USERS)
    return [
        f"Demo data ready: agency {AGENCY}, post office {POST_OFFICE}.",
        f"Sign in at {settings.public_url}/login as {users}; password: {PASSWORD}",
        f"Staff console {settings.public_url}/staff · courier {settings.public_url}/courier · "
        f"API {settings.public_url}/api/v1/openapi.json",
        _channels_line(settings),
    ]


def _channels_line(settings: Settings) -> str:
    """Where a newcomer sees the messages sent to citizens (the `log` channel prints them)."""
    if "log" in settings.channel_names:
        return ("Tin nhắn gửi công dân (mã xác nhận, đã giao, …) hiện trên console của `postal serve` "
                "(kênh log, số điện thoại che bớt); `postal notifications` liệt kê các tin gần nhất.")
    return (f"Kênh thông báo: {settings.notify_channels}. Đặt POSTAL_NOTIFY_CHANNELS=log để xem tin nhắn "
            "trên console; `postal notifications` liệt kê các tin gần nhất.")


async def _shipments(con: asyncpg.Connection, settings: Settings) -> None:
    rng = random.Random(2026)  # a fixed seed: the same demo every time
    staff_id = await con.fetchval("SELECT id FROM users WHERE username = 'canbo'")
    courier = await con.fetchval("SELECT id FROM users WHERE username = 'buuta'")
    today = datetime.now(settings.tz).date()
    for i in range(40):
        path = PATHS[i % len(PATHS)]
        direction = "delivery" if i % 3 else "pickup"
        shipment_id = await _insert(con, settings, rng, i, direction, today, staff_id)
        await _walk(con, shipment_id, path, courier, staff_id)
        if direction == "delivery" and path and path[-1] is Event.out_for_delivery:
            await _give_code(con, settings, shipment_id)


async def _give_code(con: asyncpg.Connection, settings: Settings, shipment_id: int) -> None:
    """A one-time code for a demo item out for delivery: the `log` channel prints it on the console."""
    otp, expires = new_otp(), datetime.now(UTC) + timedelta(hours=24)
    await scans_store.set_otp(con, shipment_id, hash_otp(otp, settings.key), expires)
    code = await con.fetchval("SELECT tracking_code FROM shipments WHERE id = $1", shipment_id)
    await store.add_outbox(con, "notification.otp", shipment_id, {
        "shipment_id": shipment_id, "kind": "otp", "ref": "otp:demo", "tracking_code": code, "otp": otp,
        "expires_at": expires.astimezone(settings.tz).isoformat(),
    })


async def _insert(con: asyncpg.Connection, settings: Settings, rng: random.Random, i: int, direction: str,
                  today: date, staff_id: int) -> int:
    code, name = PROCEDURES[i % len(PROCEDURES)]
    created = today - timedelta(days=rng.randint(0, 6))
    return await store.insert_shipment(con, {
        "tracking_code": make_s10(settings.s10_prefix, await store.next_serial(con)),
        "direction": direction, "agency_code": AGENCY, "post_office_code": POST_OFFICE,
        "dossier_code": f"000.00.15.H62-{created:%y%m%d}-{1000 + i:04d}",
        "procedure_code": code, "procedure_name": name,
        "appointment_date": today + timedelta(days=rng.randint(-2, 7)),
        "citizen_name": NAMES[i % len(NAMES)], "citizen_phone": f"09{rng.randint(10_000_000, 99_999_999)}",
        "citizen_id_number": f"0011990{rng.randint(10_000, 99_999)}",
        "address_line": f"Số {rng.randint(1, 200)} đường Hùng Vương", "ward_code": WARDS[i % len(WARDS)],
        "province_code": "25", "cod_amount": rng.choice([0, 0, 50_000, 1_250_000]),
        "due_date": today + timedelta(days=rng.randint(-2, 7)), "created_by": staff_id,
    })


async def _walk(con: asyncpg.Connection, shipment_id: int, path: list[Event], courier: int, staff: int) -> None:
    state = ShipmentState(Status.created)
    moment = datetime.now(UTC) - timedelta(hours=len(path) * 5)
    for event in path:
        by_staff = event in (Event.cancel, Event.returned)
        after = apply(state, event, by_staff=by_staff)
        moment += timedelta(hours=4)
        details = {"recipient_name": "Người nhận (demo)"} if event is Event.delivered else {}
        await store.insert_event(con, store.NewEvent(
            shipment_id=shipment_id, event=event.value, occurred_at=moment,
            actor_user_id=staff if by_staff else courier, post_office_code=POST_OFFICE,
            from_status=state.status.value, to_status=after.status.value, details=details,
        ))
        await store.set_status(con, shipment_id, after.status.value, after.failed_attempts,
                               completed=after.status in (Status.delivered, Status.returned, Status.cancelled))
        state = after
