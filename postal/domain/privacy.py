"""Personal data rules (SPEC §13, Law 91/2025/QH15): what an access record names, what the retention
purge keeps and erases, and when a shipment or an access record is due for it.

Pure: no I/O. The SQL that applies these rules is :mod:`postal.store.privacy` and :mod:`postal.store.audit`.

What the purge keeps: codes, dossier and procedure, dates, statuses, ward and province, the timeline
(events, their times, post offices and reason codes), so tracking and the SLA report keep working.
What it erases: the name beyond its mask (``N. T. H. Nhung`` stays, as public tracking shows it), the
phone (blank: a ``phone4`` proof then never matches, the public view is answered), the ID number,
the street line, the free-text note, the one-time code, proof names, authorization document numbers
and free texts in event details, geo points, signatures and photos, idempotency records.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

from postal.domain.lifecycle import TERMINAL
from postal.domain.masking import mask_name


class Access(StrEnum):
    """What was read: the ``action`` of an access record, one per surface."""

    detail = "shipment.detail"
    list = "shipment.list"
    update = "shipment.update"
    label = "label"
    labels_batch = "labels.batch"
    pickup_slip = "pickup_slip"
    manifest = "manifest"
    apology = "apology"
    notifications = "notifications"
    staff_detail = "page.staff.detail"
    staff_list = "page.staff.list"
    courier_item = "page.courier.item"
    courier_list = "page.courier.list"
    attachment = "attachment"
    citizen_export = "citizens.export"
    citizen_erase = "citizens.erase"


PRINT_ACCESS = {"label": Access.label, "labels": Access.labels_batch, "pickup_slip": Access.pickup_slip,
                "manifest": Access.manifest, "apology": Access.apology}
"""``print_log`` document names → the access they are."""

ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
"""The shape the database checks on ``access_log.action`` (custom surfaces may add their own names)."""

TERMINAL_STATUSES = tuple(sorted(s.value for s in TERMINAL))
"""A shipment in one of these for longer than the retention period is purged."""

ERASED_DETAIL_KEYS = ("recipient_name", "authorization_number", "note", "reason")
"""Keys of an event's ``details`` blanked by the purge (proof names, document numbers, free texts);
the keys stay, with an empty value, so readers of the timeline need no special case."""

DEFAULT_RETENTION_DAYS = 365
DEFAULT_AUDIT_RETENTION_DAYS = 730


def purge_cutoff(now: datetime, days: int) -> datetime:
    """Shipments terminal before this moment are due for the purge (``days`` 0: every terminal one)."""
    if days < 0:
        raise ValueError("retention days must be >= 0")
    return now - timedelta(days=days)


def kept_name(name: str) -> str:
    """What stays of a citizen's name after the purge: its mask (idempotent on a mask)."""
    return mask_name(name)
