"""Request bodies shared by the integration tests."""

from __future__ import annotations

import copy
import itertools
from typing import Any

# A dossier has one open shipment per direction (SPEC §11): each body gets its own dossier number.
_SEQUENCE = itertools.count(1)

CREATE: dict[str, Any] = {
    "direction": "delivery",
    "dossier": {"code": "000.00.15.H62-260315-0012", "procedure_code": "1.004227",
                "procedure_name": "Cấp đổi giấy phép lái xe", "appointment_date": "2026-12-03"},
    "citizen": {"name": "Nguyễn Thị Hồng Nhung", "phone": "0912345678", "id_number": "001199012345",
                "address": {"line": "Số 12 ngõ 3 đường Hùng Vương", "ward_code": "08707", "province_code": "25"}},
    "post_office_code": "PO-1",
    "cod_amount": 0,
    "note": "Gọi trước khi giao",
}


def create_body(**changes: Any) -> dict[str, Any]:
    """A valid create body with a fresh dossier code; ``changes`` use dotted keys (``citizen.phone``)."""
    body = copy.deepcopy(CREATE)
    body["dossier"]["code"] = f"000.00.15.H62-260315-{next(_SEQUENCE):04d}"
    for dotted, value in changes.items():
        target = body
        *parents, last = dotted.split(".")
        for key in parents:
            target = target[key]
        target[last] = value
    return body
