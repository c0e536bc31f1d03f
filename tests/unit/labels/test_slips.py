import re
import unicodedata
from datetime import date
from typing import Any

import pytest

from labels import Party, Slip, render_slips
from labels.samples import sample_slip

from .helpers import all_text, fonts, page_size, page_texts, reader

A6 = (297.64, 419.53)
A4 = (595.28, 841.89)
VIETNAMESE = ["Nguyễn Thị Hồng Nhung", "Đặng Văn Hữu", "Phường Vĩnh Yên", "Cấp đổi giấy phép lái xe"]


def slip(**changes: Any) -> Slip:
    return sample_slip(0, **changes)


@pytest.mark.parametrize(("layout", "size"), [("a6", A6), ("a4", A4)])
def test_page_size(layout, size):
    width, height = page_size(render_slips([slip()], layout))
    assert width == pytest.approx(size[0], abs=0.05)
    assert height == pytest.approx(size[1], abs=0.05)


def test_a6_is_one_slip_per_page():
    pdf = render_slips([sample_slip(i) for i in range(3)], "a6")
    texts = page_texts(pdf)
    assert len(texts) == 3
    assert [re.findall(r"RA\d{9}VN", t) for t in texts] == [[sample_slip(i).tracking_code] for i in range(3)]


@pytest.mark.parametrize(("count", "pages"), [(1, 1), (4, 1), (5, 2), (8, 2), (9, 3)])
def test_a4_holds_four_slips_per_page(count, pages):
    slips = [sample_slip(i) for i in range(count)]
    texts = page_texts(render_slips(slips, "a4"))
    assert len(texts) == pages
    for p, text in enumerate(texts):
        expected = [s.tracking_code for s in slips[p * 4 : p * 4 + 4]]
        assert sorted(re.findall(r"RA\d{9}VN", text)) == sorted(expected)


@pytest.mark.parametrize("layout", ["a6", "a4"])
def test_vietnamese_text_extracts_exactly(layout):
    s = slip(
        sender=Party("Đặng Văn Hữu", ("Phường Vĩnh Yên, tỉnh Phú Thọ",)),
        receiver=Party("Nguyễn Thị Hồng Nhung", ("Số 5 đường Trần Phú",)),
        procedure_name="Cấp đổi giấy phép lái xe",
        note="ặ ệ ỗ ữ ỹ Đ ư ơ",
    )
    text = all_text(render_slips([s], layout))
    for phrase in [*VIETNAMESE, "ặ ệ ỗ ữ ỹ Đ ư ơ", "Người gửi", "Người nhận", "Mã hồ sơ", "Ngày hẹn trả"]:
        assert phrase in text


def test_slip_fields_are_printed():
    s = slip(appointment_date=date(2026, 3, 20), cod_amount=1_250_000)
    text = all_text(render_slips([s]))
    for expected in [
        s.tracking_code,
        "GỬI HỒ SƠ",
        s.dossier_code,
        "20/03/2026",
        "1.250.000 ₫",
        "15/03/2026 09:30",
        s.agency_name,
        s.post_office_name,
        s.note,
    ]:
        assert expected in text
    assert s.qr_payload not in text  # the payload lives only in the QR code


def test_delivery_banner_and_zero_cod_and_no_appointment():
    text = all_text(render_slips([sample_slip(1, "delivery", cod_amount=0, appointment_date=None)]))
    assert "TRẢ KẾT QUẢ" in text
    assert "0 ₫" in text


def test_decomposed_input_is_printed_nfc():
    name = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung")
    assert "Nguyễn Thị Hồng Nhung" in all_text(render_slips([slip(sender=Party(name))]))


@pytest.mark.parametrize("layout", ["a6", "a4"])
def test_font_is_truetype_embedded_and_subset(layout):
    found = fonts(render_slips([slip(), sample_slip(1, "delivery")], layout))
    assert found
    for font in found:
        assert font["/Subtype"] == "/TrueType"
        assert re.fullmatch(r"/[A-Z]{6}\+PostalSans(-Bold)?", font["/BaseFont"])
        assert "/FontFile2" in font["/FontDescriptor"].get_object()
        assert "/ToUnicode" in font


def test_page_compression_keeps_batches_small():
    pdf = render_slips([sample_slip(i) for i in range(40)], "a4")
    assert len(pdf) / 40 < 5 * 1024
    assert len(reader(pdf).pages) == 10


@pytest.mark.parametrize(("slips", "layout"), [([], "a6"), ([slip()], "a5"), ([slip()], "A4")])
def test_bad_arguments(slips, layout):
    with pytest.raises(ValueError):
        render_slips(slips, layout)


def test_unknown_direction():
    with pytest.raises(ValueError, match="direction"):
        render_slips([slip(direction="sideways")])


def test_deterministic_output():
    assert render_slips([slip()], "a4") == render_slips([slip()], "a4")
