"""What a courier collects besides the item (issue 14 item 7): the dossier's papers at a pickup and
the cash on delivery (COD) at a handover. Both are kept in the event's ``details``.

Decisions written down here (they are part of the API contract):

- **Papers** (``documents_checked`` on a ``picked_up`` scan): what the courier ticked on the pickup
  list, each ``{name, kind: original|copy, count, present}``; kept as given (names cleaned to NFC),
  not cross-checked against the order's ``dossier.documents`` (the order's list is what the page
  shows; a paper the citizen adds is still worth recording). Refused on any other event.
- **Cash on delivery** (``proof.cod_collected`` on a ``delivered`` scan of a shipment with
  ``cod_amount > 0``): ``true`` is kept with the amount; an explicit ``false`` is refused (422: a
  result is not handed over before the money is collected; record ``delivery_failed`` instead).
  **Absent is accepted** and kept as ``cod_collected: null`` (not confirmed): devices and queued
  offline scans made before this field existed must still sync — refusing them would drop real
  handovers. The courier page always asks (a required box), so only older clients send nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from postal.domain import codes

MAX_DOCUMENTS = 100


class DocumentCheckIn(BaseModel):
    """One paper of the pickup list and whether the courier found it in the dossier."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=300, description="Tên giấy tờ (như trên phiếu thu gom)")
    kind: Literal["original", "copy"] = Field(default="copy", description="original (bản chính) | copy (bản sao)")
    count: int = Field(default=1, ge=1, le=100, description="Số bản")
    present: bool = Field(description="Bưu tá đã nhận đủ giấy tờ này")


def documents_details(event: str, documents: list[DocumentCheckIn] | None) -> dict[str, Any]:
    """``{"documents_checked": [...]}`` for a ``picked_up`` scan that carries the ticked list, else {}."""
    if documents is None:
        return {}
    if event != "picked_up":
        raise codes.invalid("documents_checked", "Chỉ dùng documents_checked với sự kiện 'picked_up'.")
    checked = []
    for i, doc in enumerate(documents):
        name = codes.clean_text(doc.name, f"documents_checked.{i}.name", max_length=300)
        checked.append({"name": name, "kind": doc.kind, "count": doc.count, "present": doc.present})
    return {"documents_checked": checked}


def cod_details(cod_amount: int, cod_collected: bool | None) -> dict[str, Any]:
    """What a ``delivered`` event keeps of the cash on delivery; refuses an explicit "not collected"."""
    if not cod_amount or cod_amount <= 0:
        return {}
    if cod_collected is False:
        raise codes.invalid(
            "proof.cod_collected",
            "Chưa thu đủ tiền thu hộ thì chưa giao kết quả: thu tiền rồi xác nhận, "
            "hoặc ghi nhận phát không thành công.",
        )
    return {"cod_amount": cod_amount, "cod_collected": True if cod_collected else None}
