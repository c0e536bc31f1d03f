"""Input records for the renderers: plain frozen dataclasses, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

DIRECTIONS = ("pickup", "delivery")
DOCUMENT_KINDS = ("original", "copy")


@dataclass(frozen=True)
class Party:
    """A sender or receiver: a name and free address/organisation/phone lines."""

    name: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slip:
    """One shipment label (A6)."""

    tracking_code: str
    qr_payload: str
    direction: str
    sender: Party
    receiver: Party
    dossier_code: str
    procedure_name: str
    appointment_date: date | None
    cod_amount: int
    agency_name: str
    post_office_name: str
    printed_at: datetime
    note: str = ""
    payment_qr: str | None = None  # a VietQR payload when the citizen has an amount to pay
    fee_payer: str = "citizen"
    """Who pays the postage: ``citizen`` or ``agency``."""
    fee_exemption: str = "none"
    """Postage exemption: ``none``, ``half`` (50 %) or ``full``."""


@dataclass(frozen=True)
class ManifestItem:
    """One row of a handover manifest; ``citizen`` sends a pickup and receives a delivery."""

    tracking_code: str
    dossier_code: str
    citizen: str
    ward: str
    direction: str = "delivery"
    cod_amount: int = 0
    fee_payer: str = "citizen"
    fee_exemption: str = "none"


@dataclass(frozen=True)
class Manifest:
    """A handover manifest (bảng kê giao nhận) between an agency and a post office."""

    manifest_id: str
    agency_name: str
    post_office_name: str
    created_at: datetime
    items: tuple[ManifestItem, ...]
    created_by: str = ""


@dataclass(frozen=True)
class Document:
    """One paper handed over in a dossier; kind is "original" (bản chính) or "copy" (bản sao)."""

    name: str
    kind: str
    count: int = 1


@dataclass(frozen=True)
class PickupSlip:
    """A pickup receipt (phiếu gửi hồ sơ): the slip plus the list of documents collected."""

    slip: Slip
    documents: tuple[Document, ...]


@dataclass(frozen=True)
class ApologyLetter:
    """Mẫu 04 (Circular 03/2025/TT-VPCP): apology and new appointment date for a late result."""

    agency_name: str
    citizen_name: str
    dossier_code: str
    procedure_name: str
    original_date: date
    new_date: date
    reason: str
    issued_at: date
    place: str = ""
