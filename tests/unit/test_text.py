"""The text rule of SPEC §11: which characters a text field refuses (pure, with a property test)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postal.domain.codes import clean_text
from postal.domain.text import char_kind, first_refused, refusal_message
from postal.errors import InvalidInput

REFUSED = ["\x00", "\x07", "\t", "\x1b", "\x7f", "\x85", "\x9b", "\u202a", "\u202e", "\u2066", "\u2069",
           "\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u2028", "\u2029",
           "\ud800", "\uffff"]


@pytest.mark.parametrize("ch", REFUSED)
def test_each_refused_character_is_refused_anywhere_in_the_text(ch):
    for text in (f"{ch}Nhung", f"Nguyễn {ch}Nhung", f"Nhung{ch}"):
        assert first_refused(text) is not None
        assert first_refused(text, multiline=True) is not None
        with pytest.raises(InvalidInput) as caught:
            clean_text(text, "citizen.name")
        assert caught.value.errors[0].field == "citizen.name"
        assert f"U+{ord(ch):04X}" in caught.value.errors[0].message


def test_vietnamese_and_ordinary_punctuation_are_allowed():
    for text in ("Nguyễn Thị Hồng Nhung", "Số 12/3, ngõ 3 — đường Hùng Vương", "1.004227", "Ấp Đông; (x) 50%",
                 "emoji 📦 ok", "\u00a0non-breaking"):
        assert first_refused(text) is None


def test_newlines_only_in_multiline_fields():
    assert first_refused("dòng 1\ndòng 2") == (6, "newline")
    assert first_refused("dòng 1\ndòng 2", multiline=True) is None
    assert first_refused("dòng 1\r\ndòng 2", multiline=True) is None
    assert clean_text("dòng 1\r\ndòng 2\r\n", "note", multiline=True) == "dòng 1\ndòng 2"
    assert first_refused("a\tb", multiline=True) == (1, "control")


def test_the_message_names_the_code_point_not_the_text():
    message = refusal_message("0912\u202e345678")
    assert message is not None and "U+202E" in message and "0912" not in message and "vị trí 5" in message


_ALLOWED = st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Zl", "Zp", "Cf"))


@given(st.text())
def test_refused_exactly_when_some_character_has_a_kind(text):
    found = first_refused(text)
    kinds = [(i, "newline" if ch == "\n" else char_kind(ch)) for i, ch in enumerate(text)]
    bad = [(i, k) for i, k in kinds if k is not None]
    assert found == (bad[0] if bad else None)


@given(st.text(alphabet=_ALLOWED))
def test_text_of_letters_marks_and_symbols_is_never_refused(text):
    assert first_refused(text) is None
    assert first_refused(text, multiline=True) is None


@given(st.text(alphabet=_ALLOWED), st.sampled_from(REFUSED), st.text(alphabet=_ALLOWED))
def test_one_refused_character_anywhere_is_found_at_its_place(before, ch, after):
    assert first_refused(before + ch + after) == (len(before), char_kind(ch))
