"""Response models: they document the JSON the API answers (the OpenAPI document is generated from them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class FieldErrorOut(_Out):
    field: str
    message: str


class Problem(_Out):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldErrorOut] | None = None
    current_status: str | None = None
    allowed_events: list[str] | None = None


class Location(_Out):
    lat: float
    lon: float


class EventOut(_Out):
    id: int
    event: str
    status: str | None
    occurred_at: str
    recorded_at: str
    post_office_code: str | None
    post_office_name: str | None
    client_event_id: str | None
    applied: bool
    upu_code: str | None
    location: Location | None
    details: dict[str, object]


class AddressOut(_Out):
    line: str
    ward_code: str
    ward_name: str
    province_code: str
    province_name: str


class CitizenOut(_Out):
    name: str
    phone: str
    id_number: str | None = None
    address: AddressOut


class DocumentOut(_Out):
    name: str
    kind: str
    count: int


class DossierOut(_Out):
    code: str
    procedure_code: str
    procedure_name: str
    appointment_date: str | None
    documents: list[DocumentOut]


class ShipmentOut(_Out):
    """A shipment with its timeline, oldest first."""

    id: int
    tracking_code: str
    direction: str
    status: str
    agency_code: str
    agency_name: str
    post_office_code: str
    post_office_name: str
    dossier: DossierOut
    citizen: CitizenOut | None
    cod_amount: int
    fee_payer: str
    fee_exemption: str
    note: str
    due_date: str
    overdue: bool
    failed_attempts: int
    qr_payload: str
    label_url: str
    created_at: str
    updated_at: str
    purged_at: str | None = None
    """When the retention purge erased the citizen's personal data (the name is then its mask)."""
    events: list[EventOut]


class ShipmentPage(_Out):
    items: list[ShipmentOut]
    next_cursor: str | None


class OpenAPIDocument(_Out):
    """This document itself."""

    openapi: str
    info: dict[str, object]
    paths: dict[str, object]


class Health(_Out):
    status: str
    database: str
