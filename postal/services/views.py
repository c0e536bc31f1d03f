"""How a shipment is shown in the API: the JSON shape of SPEC §5, by who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from postal.domain.access import Principal, Role
from postal.domain.address import province_name, ward_name
from postal.domain.deadlines import is_overdue
from postal.domain.lifecycle import Event
from postal.domain.signing import qr_payload
from postal.domain.upu import upu_code
from postal.settings import Settings


@dataclass(frozen=True)
class Clock:
    """Now and today in the service's time zone (one place to read the time)."""

    settings: Settings
    tz: ZoneInfo = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tz", self.settings.tz)  # read once: it is on every timeline entry

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(self.tz).date()

    def local(self, moment: datetime, timespec: str = "auto") -> str:
        """ISO 8601 in the service's time zone (``+07:00``); ``timespec="seconds"`` drops the fraction."""
        return moment.astimezone(self.tz).isoformat(timespec=timespec)


def event_view(e: asyncpg.Record, clock: Clock) -> dict[str, Any]:
    """One timeline entry."""
    location = {"lat": e["lat"], "lon": e["lon"]} if e["lat"] is not None else None
    return {
        "id": e["id"],
        "event": e["event"],
        "status": e["to_status"],
        "occurred_at": clock.local(e["occurred_at"]),
        "recorded_at": clock.local(e["recorded_at"]),
        "post_office_code": e["post_office_code"],
        "post_office_name": e["post_office_name"],
        "client_event_id": str(e["client_event_id"]) if e["client_event_id"] else None,
        "applied": e["applied"],
        "upu_code": upu_code(e["event"]) if e["event"] in Event.__members__ else None,  # notes have none
        "location": location,
        "details": e["details"] or {},
    }


def citizen_view(row: asyncpg.Record, principal: Principal) -> dict[str, Any]:
    """The citizen block; couriers get what they need to deliver, not the ID number they must check."""
    citizen = {
        "name": row["citizen_name"],
        "phone": row["citizen_phone"],
        "address": {
            "line": row["address_line"],
            "ward_code": row["ward_code"],
            "ward_name": ward_name(row["ward_code"]),
            "province_code": row["province_code"],
            "province_name": province_name(row["province_code"]),
        },
    }
    if principal.role is not Role.courier:
        citizen["id_number"] = row["citizen_id_number"]
    return citizen


def _delivered_on(row: asyncpg.Record, clock: Clock) -> date | None:
    done = row["completed_at"]
    return done.astimezone(clock.settings.tz).date() if done else None


def shipment_view(
    row: asyncpg.Record, events: list[asyncpg.Record], principal: Principal, clock: Clock
) -> dict[str, Any]:
    """The shipment as SPEC §5 lists it, with its timeline oldest first."""
    code = row["tracking_code"]
    return {
        "id": row["id"],
        "tracking_code": code,
        "direction": row["direction"],
        "status": row["status"],
        "agency_code": row["agency_code"],
        "agency_name": row["agency_name"],
        "post_office_code": row["post_office_code"],
        "post_office_name": row["post_office_name"],
        "dossier": {
            "code": row["dossier_code"],
            "procedure_code": row["procedure_code"],
            "procedure_name": row["procedure_name"],
            "appointment_date": row["appointment_date"].isoformat() if row["appointment_date"] else None,
            "documents": row["documents"],
        },
        "citizen": citizen_view(row, principal),
        "cod_amount": row["cod_amount"],
        "fee_payer": row["fee_payer"],
        "fee_exemption": row["fee_exemption"],
        "note": row["note"],
        "due_date": row["due_date"].isoformat(),
        "overdue": is_overdue(row["status"], row["due_date"], clock.today(), _delivered_on(row, clock)),
        "failed_attempts": row["failed_attempts"],
        "qr_payload": qr_payload(clock.settings.public_url, code, clock.settings.key),
        "label_url": f"/api/v1/shipments/{code}/label.pdf",
        "created_at": clock.local(row["created_at"]),
        "updated_at": clock.local(row["updated_at"]),
        "purged_at": clock.local(row["purged_at"]) if row.get("purged_at") else None,
        "events": [event_view(e, clock) for e in events],
    }


def outbox_payload(row: asyncpg.Record, event: asyncpg.Record | None, previous: str | None) -> dict[str, Any]:
    """What workers need to notify, without personal data (they read the row when they must)."""
    return {
        "tracking_code": row["tracking_code"],
        "direction": row["direction"],
        "agency_code": row["agency_code"],
        "post_office_code": row["post_office_code"],
        "status": row["status"],
        "previous_status": previous,
        "event": event["event"] if event else None,
        "event_id": event["id"] if event else None,
        "occurred_at": event["occurred_at"].isoformat() if event else row["created_at"].isoformat(),
    }
