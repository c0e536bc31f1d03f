"""Pure builders of VNPost customer-partner requests (SPEC §9): our data in, request bodies out.

The operator gets what it needs to carry the item — names, phones, addresses, province codes, the
tracking code as ``saleOrderCode``, the COD amount — and never the citizen's ID number (the
:class:`OrderData` has no field for it, so no caller can pass it by mistake).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SERVICE_CODE = "DHS"  # the public-administration dossier service; configurable per contract later
DEFAULT_WEIGHT_GRAMS = 300  # an A4 envelope of documents


@dataclass(frozen=True)
class Party:
    """One end of the trip: who and where (no ID number, by design)."""

    name: str
    phone: str
    address: str
    province_code: str


@dataclass(frozen=True)
class OrderData:
    """What an order carries to the operator."""

    sale_order_code: str  # our tracking code
    sender: Party
    receiver: Party
    content_note: str
    cod_amount: int = 0
    weight_grams: int = DEFAULT_WEIGHT_GRAMS
    service_code: str = SERVICE_CODE


def build_token_request(username: str, password: str, customer_code: str) -> dict[str, Any]:
    """``GetAccessToken`` body."""
    return {"username": username, "password": password, "customerCode": customer_code}


def build_create_order(order: OrderData) -> dict[str, Any]:
    """``CreateOrder`` body: an order ready for pickup (``orderCreationStatus: 1``), type ``GUI``."""
    addons = [{"code": "COD", "propValue": str(order.cod_amount)}] if order.cod_amount > 0 else []
    return {
        "orderCreationStatus": 1,
        "type": "GUI",
        "informationOrder": {
            "senderName": order.sender.name,
            "senderPhone": order.sender.phone,
            "senderAddress": order.sender.address,
            "senderProvinceCode": order.sender.province_code,
            "receiverName": order.receiver.name,
            "receiverPhone": order.receiver.phone,
            "receiverAddress": order.receiver.address,
            "receiverProvinceCode": order.receiver.province_code,
            "serviceCode": order.service_code,
            "saleOrderCode": order.sale_order_code,
            "contentNote": order.content_note,
            "weight": order.weight_grams,
            "addonService": addons,
        },
    }


def build_cancel(original_id: str) -> dict[str, Any]:
    """``orderCancel`` body."""
    return {"OriginalId": original_id}


def build_find_order(sale_order_code: str) -> dict[str, Any]:
    """``GetOrder`` body: look an order up by our tracking code (after a duplicate answer)."""
    return {"saleOrderCode": sale_order_code}


def build_tracking_request(last_id: int, page_size: int) -> dict[str, Any]:
    """``GetTrackingEvents`` body: reports after the cursor ``last_id`` (the polling fallback)."""
    return {"lastId": last_id, "pageSize": page_size}
