import re
from dataclasses import replace
from datetime import date

import pytest

from labels import Document, render_apology_letter, render_manifest, render_pickup_slip
from labels.samples import sample_apology, sample_manifest, sample_pickup

from .helpers import all_text, fonts, page_size, page_texts

A4 = (595.28, 841.89)


def assert_a4_with_embedded_fonts(pdf: bytes, landscape: bool = False) -> None:
    width, height = page_size(pdf)
    assert (width, height) == pytest.approx(A4[::-1] if landscape else A4, abs=0.05)
    for font in fonts(pdf):
        assert "/FontFile2" in font["/FontDescriptor"].get_object()


def test_manifest_content():
    m = sample_manifest(12)
    pdf = render_manifest(m)
    assert_a4_with_embedded_fonts(pdf, landscape=True)
    text = all_text(pdf)
    for expected in [
        "BẢNG KÊ GIAO NHẬN",
        m.agency_name,
        m.post_office_name,
        "15/03/2026 16:45",
        "STT",
        "Mã bưu gửi",
        "Mã hồ sơ",
        "Người dân",
        "Chiều",
        "Thu gom",
        "Phát trả",
        "Thu hộ (COD)",
        "Phường/xã",
        "Tổng số: 12 bưu gửi",
        "BÊN GIAO",
        "BÊN NHẬN",
        "(Ký, ghi rõ họ tên)",
        "Hoàng Thị Duyên",
        "Nguyễn Thị Hồng Nhung",
        "Đặng Văn Hữu",
        "Phường Vĩnh Yên",
    ]:
        assert expected in text
    for item in m.items:
        assert item.tracking_code in text
        assert item.dossier_code in text


def test_manifest_table_continues_with_repeated_header():
    m = sample_manifest(60)
    texts = page_texts(render_manifest(m))
    assert len(texts) >= 2
    table_pages = [t for t in texts if "RA2000" in t]
    assert len(table_pages) >= 2
    assert all("Mã bưu gửi" in t and "Phường/xã" in t for t in table_pages)
    assert "Tổng số: 60 bưu gửi" in texts[-1]
    joined = "\n".join(texts)
    assert all(item.tracking_code in joined for item in m.items)


def test_empty_manifest_still_renders():
    assert "Tổng số: 0 bưu gửi" in all_text(render_manifest(replace(sample_manifest(0), items=())))


def test_manifest_escapes_markup_in_user_text():
    m = replace(sample_manifest(1), agency_name="Sở <Tư pháp> & Đặng")
    assert "Sở <Tư pháp> & Đặng" in all_text(render_manifest(m))


def test_pickup_slip_content():
    ps = sample_pickup()
    pdf = render_pickup_slip(ps)
    assert_a4_with_embedded_fonts(pdf)
    text = all_text(pdf)
    for expected in [
        "PHIẾU GỬI HỒ SƠ",
        ps.slip.tracking_code,
        "Nguyễn Thị Hồng Nhung",
        ps.slip.agency_name,
        "Cấp đổi giấy phép lái xe",
        ps.slip.dossier_code,
        "20/03/2026",
        "1.250.000 ₫",
        "DANH MỤC GIẤY TỜ",
        "Bản chính",
        "Bản sao",
        "NGƯỜI GỬI",
        "NHÂN VIÊN BƯU CHÍNH",
        "(Ký, ghi rõ họ tên)",
        "5 loại giấy tờ, 7 bản",
        "(5 bản chính, 2 bản sao)",
    ]:
        assert expected in text
    for i, d in enumerate(ps.documents, start=1):
        assert re.search(rf"\b{i}\s+{re.escape(d.name)}", text)


@pytest.mark.parametrize("doc", [Document("Giấy tờ", "photo"), Document("Giấy tờ", "copy", 0)])
def test_pickup_slip_rejects_bad_documents(doc):
    with pytest.raises(ValueError):
        render_pickup_slip(replace(sample_pickup(), documents=(doc,)))


def test_apology_letter_content():
    a = sample_apology()
    pdf = render_apology_letter(a)
    assert_a4_with_embedded_fonts(pdf)
    text = " ".join(all_text(pdf).split())  # paragraphs wrap; compare with single spaces
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Kính gửi: Ông/Bà Nguyễn Thị Hồng Nhung",
        a.dossier_code,
        "Cấp đổi giấy phép lái xe",
        "20/03/2026",
        "27/03/2026",
        a.reason,
        "Phú Thọ, ngày 19 tháng 03 năm 2026",
        "UBND PHƯỜNG VĨNH YÊN",
        "ĐẠI DIỆN CƠ QUAN",
    ]:
        assert expected in text


def test_apology_new_date_must_be_later():
    with pytest.raises(ValueError):
        render_apology_letter(replace(sample_apology(), new_date=date(2026, 3, 20)))
