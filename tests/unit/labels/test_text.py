from datetime import date, datetime

import pytest

from labels.fonts import ensure_fonts
from labels.text import MIN_SIZE, Para, fit, format_date, format_datetime, format_vnd, nfc, wrap


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(0, "0 ₫"), (5, "5 ₫"), (1_000, "1.000 ₫"), (1_250_000, "1.250.000 ₫"), (-30_000, "-30.000 ₫")],
)
def test_format_vnd(amount, expected):
    assert format_vnd(amount) == expected


def test_dates():
    assert format_date(date(2026, 3, 5)) == "05/03/2026"
    assert format_date(None) == ""
    assert format_datetime(datetime(2026, 3, 5, 7, 9)) == "05/03/2026 07:09"


def test_nfc_normalises_decomposed_input_and_whitespace():
    decomposed = "Nguye\u0302\u0303n  Thi\u0323\n"
    assert nfc(decomposed) == "Nguyễn Thị"


def test_wrap_keeps_every_word_within_width():
    regular, _ = ensure_fonts()
    text = "Số nhà 123 ngõ 45 đường Nguyễn Tất Thành Phường Vĩnh Yên tỉnh Phú Thọ " * 3
    lines = wrap(text, regular, 9, 120)
    assert all(line.width <= 120 + 1e-6 for line in lines)
    assert " ".join(line.text for line in lines).split() == text.split()


def test_wrap_breaks_a_word_longer_than_the_line():
    regular, _ = ensure_fonts()
    word = "Đ" * 80
    lines = wrap(word, regular, 10, 100)
    assert len(lines) > 1
    assert "".join(line.text for line in lines) == word
    assert all(line.width <= 100 + 1e-6 for line in lines)


def test_fit_shrinks_but_not_below_min_size_for_realistic_text():
    fonts = ensure_fonts()
    lines = fit([Para("Cấp đổi giấy phép lái xe " * 8)], fonts, (220, 17), 9)
    assert MIN_SIZE <= min(line.size for line in lines) < 9


def test_fit_refuses_absurd_text_instead_of_cutting_it():
    with pytest.raises(ValueError, match="does not fit"):
        fit([Para("chữ " * 5000)], ensure_fonts(), (50, 10), 9)
