"""Realistic demo records, shared by the benchmark, the tests and manual previews."""

from __future__ import annotations

from datetime import date, datetime

from labels.model import ApologyLetter, Document, Manifest, ManifestItem, Party, PickupSlip, Slip

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_code(serial: int, prefix: str = "RA") -> str:
    """A valid UPU S10 tracking code for an 8-digit serial."""
    digits = f"{serial:08d}"
    r = sum(int(d) * w for d, w in zip(digits, S10_WEIGHTS, strict=True)) % 11
    check = {10: 0, 11: 5}.get(11 - r, 11 - r)
    return f"{prefix}{digits}{check}VN"


CITIZEN = Party(
    "Nguyễn Thị Hồng Nhung",
    ("Số 12 ngõ 34 đường Nguyễn Tất Thành", "Phường Vĩnh Yên, tỉnh Phú Thọ", "ĐT: 0912 345 678"),
)
AGENCY = Party(
    "Bộ phận Một cửa UBND phường Vĩnh Yên",
    ("Số 1 đường Đặng Văn Hữu, Phường Vĩnh Yên, tỉnh Phú Thọ", "ĐT: 0211 3862 111"),
)


def sample_slip(i: int = 0, direction: str = "pickup", **changes: object) -> Slip:
    """A pickup (citizen -> agency) or delivery (agency -> citizen) slip; ``changes`` override fields."""
    code = s10_code(12345678 + i)
    sender, receiver = (CITIZEN, AGENCY) if direction == "pickup" else (AGENCY, CITIZEN)
    fields: dict[str, object] = dict(
        tracking_code=code,
        qr_payload=f"http://127.0.0.1:8080/q/{code}.AB12CD34",
        direction=direction,
        sender=sender,
        receiver=receiver,
        dossier_code=f"000.00.15.H62-260315-{i % 10000:04d}",
        procedure_name="Cấp đổi giấy phép lái xe do ngành Giao thông vận tải cấp",
        appointment_date=date(2026, 3, 20),
        cod_amount=1_250_000,
        agency_name="UBND phường Vĩnh Yên, tỉnh Phú Thọ",
        post_office_name="Bưu cục Vĩnh Yên (Bưu điện tỉnh Phú Thọ)",
        printed_at=datetime(2026, 3, 15, 9, 30),
        note="Giao giờ hành chính, gọi trước khi đến.",
    )
    fields.update(changes)
    return Slip(**fields)  # type: ignore[arg-type]


def sample_manifest(n: int = 12) -> Manifest:
    """A manifest with ``n`` items."""
    wards = ("Phường Vĩnh Yên", "Phường Vĩnh Phúc", "Xã Đạo Trù", "Phường Phúc Yên", "Xã Tam Đảo")
    names = ("Nguyễn Thị Hồng Nhung", "Đặng Văn Hữu", "Trần Thị Ánh Tuyết", "Lê Quốc Trượng", "Phạm Ngọc Ỷ")
    items = tuple(
        ManifestItem(s10_code(20000000 + i), f"000.00.15.H62-260315-{i:04d}", names[i % 5], wards[i % 5],
                     "pickup" if i % 3 == 0 else "delivery", (i % 4) * 50_000)
        for i in range(n)
    )
    return Manifest(
        "BK-2026-000123",
        "UBND phường Vĩnh Yên, tỉnh Phú Thọ",
        "Bưu cục Vĩnh Yên",
        datetime(2026, 3, 15, 16, 45),
        items,
        created_by="Hoàng Thị Duyên",
    )


def sample_pickup() -> PickupSlip:
    """A pickup receipt with a mix of originals and copies."""
    docs = (
        Document("Tờ khai đề nghị cấp đổi giấy phép lái xe", "original"),
        Document("Giấy phép lái xe cũ", "original"),
        Document("Căn cước công dân", "copy", 2),
        Document("Giấy khám sức khỏe của người lái xe", "original"),
        Document("Ảnh màu 3x4 cm", "original", 2),
    )
    return PickupSlip(sample_slip(direction="pickup"), docs)


def sample_apology() -> ApologyLetter:
    """A late-result apology letter."""
    return ApologyLetter(
        agency_name="UBND phường Vĩnh Yên",
        citizen_name="Nguyễn Thị Hồng Nhung",
        dossier_code="000.00.15.H62-260315-0012",
        procedure_name="Cấp đổi giấy phép lái xe",
        original_date=date(2026, 3, 20),
        new_date=date(2026, 3, 27),
        reason="Cần xác minh thông tin với cơ quan cấp giấy phép lái xe cũ tại tỉnh khác.",
        issued_at=date(2026, 3, 19),
        place="Phú Thọ",
    )
