"""Dossier codes up to the longest the service accepts print whole on one line, on every PDF.

A code broken over two lines gets copied wrong by a clerk (issue 8, item 6): text is read back
with pypdf, line by line.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labels import ManifestItem, render_apology_letter, render_manifest, render_pickup_slip, render_slips
from labels.samples import sample_apology, sample_manifest, sample_pickup, sample_slip
from labels.slip_layout import PAD_X_MM, layout_slip
from labels.text import MAX_CODE_LENGTH
from postal.domain.codes import validate_dossier_code
from postal.errors import InvalidInput

from .helpers import page_texts

MM = 72 / 25.4
REPORTED = "000.00.15.H62-261120-520621"  # the code from the issue: 27 characters
LONGEST = "000.00.15.H62-261120-" + "7" * (MAX_CODE_LENGTH - 21)


def documents(code: str) -> dict[str, bytes]:
    """Every PDF the service prints, each carrying ``code`` as the dossier code."""
    slip = sample_slip(0, "delivery", dossier_code=code)
    manifest = sample_manifest(3)
    items = (manifest.items[0], replace(manifest.items[1], dossier_code=code), manifest.items[2])
    pickup = sample_pickup()
    return {
        "a6": render_slips([slip], "a6"),
        "a4": render_slips([sample_slip(1), slip, sample_slip(2), slip], "a4"),
        "pickup": render_pickup_slip(replace(pickup, slip=replace(pickup.slip, dossier_code=code))),
        "manifest": render_manifest(replace(manifest, items=items)),
        "apology": render_apology_letter(replace(sample_apology(), dossier_code=code)),
    }


def assert_whole_on_one_line(pdf: bytes, code: str, name: str) -> None:
    """The code appears, and no line holds its middle or tail without holding all of it.

    (Its head is shared with the other sample codes in the same document.)
    """
    lines = [line for text in page_texts(pdf) for line in text.splitlines()]
    assert any(code in line for line in lines), (name, code)
    middle, tail = code[len(code) // 2 - 4 : len(code) // 2 + 4], code[-8:]
    broken = [line for line in lines if (middle in line or tail in line) and code not in line]
    assert not broken, (name, code, broken)


def test_the_service_accepts_no_longer_code_than_labels_plan_for():
    validate_dossier_code("X" * MAX_CODE_LENGTH, free_form=True)
    with pytest.raises(InvalidInput):
        validate_dossier_code("X" * (MAX_CODE_LENGTH + 1), free_form=True)


@pytest.mark.parametrize("code", [REPORTED, LONGEST])
def test_reported_and_longest_codes_print_whole_on_every_document(code):
    for name, pdf in documents(code).items():
        assert_whole_on_one_line(pdf, code, name)


def test_slip_code_keeps_its_size_when_short_and_shrinks_only_when_long():
    short = layout_slip(sample_slip(0, dossier_code=REPORTED))
    long = layout_slip(sample_slip(0, dossier_code=LONGEST))
    (s,) = next(b for b in short.blocks if b.field == "dossier_code").lines
    (ln,) = next(b for b in long.blocks if b.field == "dossier_code").lines
    assert s.size == 10 and 5 <= ln.size < 10


CODE_CHARS = "0123456789ABCDEFGHKLMNPQRSTUVXYZ.-/"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.text(alphabet=CODE_CHARS, min_size=18, max_size=MAX_CODE_LENGTH - 2))
def test_any_code_up_to_the_maximum_prints_on_one_line(body):
    code = f"Q{body}J"  # letters found nowhere else in the documents, so a broken code is seen
    for name, pdf in documents(code).items():
        assert_whole_on_one_line(pdf, code, name)


@settings(max_examples=60, deadline=None)
@given(code=st.text(alphabet=CODE_CHARS + "W", min_size=1, max_size=MAX_CODE_LENGTH))
def test_slip_layout_keeps_any_code_on_one_line_inside_its_cell(code):
    block = next(b for b in layout_slip(sample_slip(0, dossier_code=code)).blocks if b.field == "dossier_code")
    (line,) = block.lines
    assert line.text == code
    assert line.width <= block.rect.w - 2 * PAD_X_MM * MM + 1e-6
    assert line.size >= 3.5  # 64 of the widest characters; realistic codes stay at 5 pt or more


def test_manifest_lists_direction_cod_and_total():
    m = sample_manifest(3)
    items = (
        ManifestItem("RA000000014VN", REPORTED, "Nguyễn Thị Hồng Nhung", "Phường Vĩnh Yên", "pickup", 150_000),
        ManifestItem("RA000000028VN", LONGEST, "Đặng Văn Hữu", "Xã Đạo Trù", "delivery", 1_250_000),
        ManifestItem("RA000000031VN", "000.00.15.H62-260315-0001", "Lê Quốc Trượng", "Xã Tam Đảo", "delivery", 0),
    )
    text = "\n".join(page_texts(render_manifest(replace(m, items=items))))
    lines = text.splitlines()
    assert any("RA000000014VN" in ln and REPORTED in ln and "Thu gom" in ln for ln in lines)
    assert any("RA000000028VN" in ln and LONGEST in ln and "Phát trả" in ln for ln in lines)
    for expected in ("Người dân", "Chiều", "Thu hộ (COD)", "150.000 ₫", "1.250.000 ₫", "0 ₫",
                     "Cộng: 3 bưu gửi", "1.400.000 ₫"):
        assert expected in text
    assert "Người nhận" not in text


def test_manifest_refuses_an_unknown_direction():
    m = sample_manifest(1)
    with pytest.raises(ValueError):
        render_manifest(replace(m, items=(replace(m.items[0], direction="sideways"),)))
