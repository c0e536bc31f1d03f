"""Masked names, phones and ID numbers for public pages."""

from __future__ import annotations

import unicodedata
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postal.domain.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Thị Hồng Nhung", "N. T. H. Nhung"),
        ("Đặng Văn Ánh", "Đ. V. Ánh"),
        ("  Lê   Văn\tTám ", "L. V. Tám"),
        ("Ánh", "Ánh"),
        ("ư ơi", "Ư. ơi"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_name_takes_any_normal_form() -> None:
    decomposed = unicodedata.normalize("NFD", "Đặng Văn Ánh")
    assert mask_name(decomposed) == "Đ. V. Ánh"
    assert unicodedata.is_normalized("NFC", mask_name(decomposed))


VIETNAMESE_LETTERS = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàằầèềìòồờùừỳáắấéếíóốớúứýảẳẩẻểỉỏổởủửỷãẵẫẽễĩõỗỡũữỹạặậẹệịọộợụựỵ"
)
words = st.text(alphabet=VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper(), min_size=1, max_size=8)
names = st.lists(words, min_size=1, max_size=6)
NormalForm = Literal["NFC", "NFD", "NFKC", "NFKD"]
normal_form: st.SearchStrategy[NormalForm] = st.sampled_from(["NFC", "NFD", "NFKC", "NFKD"])


@given(names, normal_form)
def test_masked_name_reveals_only_initials_and_the_last_word(parts: list[str], form: NormalForm) -> None:
    name = unicodedata.normalize(form, " ".join(parts))
    masked = mask_name(name)
    assert unicodedata.is_normalized("NFC", masked)
    tokens = masked.split(" ")
    last = unicodedata.normalize("NFC", parts[-1])
    assert tokens[-1] == last
    assert len(tokens) == len(parts)
    for token in tokens[:-1]:
        assert len(token) == 2 and token.endswith(".")
    visible_initials = " ".join(tokens[:-1])
    for word in parts[:-1]:
        word = unicodedata.normalize("NFC", word)
        if len(word) > 1 and word not in last and word not in visible_initials:
            assert word not in masked


def test_mask_phone() -> None:
    assert mask_phone("0912345678") == "091****678"
    assert mask_phone("091 234 5678") == "091****678"
    assert mask_phone("+84912345678") == "849*****678"
    assert mask_phone("123456") == "******"
    assert mask_phone("") == ""


@given(st.text(alphabet="0123456789", min_size=7, max_size=15))
def test_masked_phone_keeps_length_and_ends(digits: str) -> None:
    masked = mask_phone(digits)
    assert len(masked) == len(digits)
    assert masked[:3] == digits[:3] and masked[-3:] == digits[-3:]
    assert set(masked[3:-3]) == {"*"}


def test_mask_id_number() -> None:
    assert mask_id_number("001199012345") == "********2345"
    assert mask_id_number("0011 9901 2345") == "********2345"
    assert mask_id_number("2345") == "****"
    assert mask_id_number("") == ""
