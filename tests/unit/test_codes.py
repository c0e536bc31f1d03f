"""Identifiers and personal fields, without a database."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postal.domain import codes
from postal.errors import InvalidInput


def test_s10_check_digit_matches_upu_example():
    assert codes.s10_check_digit("47312482") == 9  # the UPU S10 standard's example RR473124829GB
    assert codes.make_s10("RA", 12345678) == "RA123456785VN"


@pytest.mark.parametrize(
    ("serial", "digit"),
    [("00000000", 5), ("00000008", 0), ("00000001", 4)],  # remainder 0 → 5, remainder 1 → 0, ordinary
)
def test_s10_check_digit_special_remainders(serial, digit):
    assert codes.s10_check_digit(serial) == digit


@given(st.integers(min_value=1, max_value=codes.MAX_SERIAL))
def test_made_codes_validate_and_normalise(number):
    code = codes.make_s10("RA", number)
    assert codes.normalize_s10(code) == code
    spaced = f" {code[:2].lower()} {code[2:5]} {code[5:8]} {code[8:11]} {code[11:].lower()} "
    assert codes.normalize_s10(spaced) == code


@given(st.integers(min_value=1, max_value=codes.MAX_SERIAL), st.integers(min_value=1, max_value=9))
def test_a_changed_check_digit_is_refused(number, delta):
    code = codes.make_s10("RA", number)
    wrong = code[:10] + str((int(code[10]) + delta) % 10) + code[11:]
    with pytest.raises(InvalidInput):
        codes.normalize_s10(wrong)


@pytest.mark.parametrize("bad", ["", "RA12345678VN", "RA123456785US", "1A123456785VN", "RA12345678X5VN"])
def test_malformed_tracking_codes(bad):
    with pytest.raises(InvalidInput) as info:
        codes.normalize_s10(bad)
    assert info.value.errors[0].field == "code"


def test_prefix_must_be_two_letters():
    with pytest.raises(ValueError, match="two letters"):
        codes.make_s10("R1", 1)
    with pytest.raises(ValueError, match="range"):
        codes.make_s10("RA", 100_000_000)


@pytest.mark.parametrize(
    "good", ["000.00.15.H62-260315-0012", "000.20.30.H56-251231-123456", "H62.22-260101-0001"]
)
def test_dossier_codes_in_national_format(good):
    assert codes.validate_dossier_code(good, free_form=False) == good


@pytest.mark.parametrize(
    "bad", ["000.00.15.H62-261345-0012", "000.00.15.H62-260315-12", "HS-2026-1", "000.00.15.H62 260315 0012"]
)
def test_dossier_codes_outside_the_format(bad):
    with pytest.raises(InvalidInput):
        codes.validate_dossier_code(bad, free_form=False)
    assert codes.validate_dossier_code(bad, free_form=True) == bad


@pytest.mark.parametrize(
    ("raw", "phone"),
    [("0912345678", "0912345678"), ("+84 912 345 678", "0912345678"), ("84912345678", "0912345678"),
     ("091.234.5678", "0912345678"), ("(+84) 386-123-456", "0386123456")],
)
def test_phone_normalisation(raw, phone):
    assert codes.normalize_phone(raw) == phone


@pytest.mark.parametrize("bad", ["12345", "0112345678", "09123456789", "phone", "+1 202 555 0100", "02438261234"])
def test_bad_phones(bad):
    with pytest.raises(InvalidInput):
        codes.normalize_phone(bad)


def test_id_numbers_are_12_digits():
    assert codes.normalize_id_number("001 199 012 345") == "001199012345"
    for bad in ["00119901234", "0011990123456", "00119901234x"]:
        with pytest.raises(InvalidInput):
            codes.normalize_id_number(bad)


def test_text_is_nfc_and_clean():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung")
    assert decomposed != "Nguyễn Thị Hồng Nhung"
    assert codes.clean_text(f"  {decomposed}  ", "name") == "Nguyễn Thị Hồng Nhung"
    assert codes.clean_text("Số 12  \u00a0 ngõ 3", "line") == "Số 12 ngõ 3"
    for bad in ["", "   ", "a\x00b", "tab\x07bell", "Số 12\n ngõ 3", "a\tb"]:  # C0 refused (SPEC §11)
        with pytest.raises(InvalidInput):
            codes.clean_text(bad, "name")
    with pytest.raises(InvalidInput, match="Dài quá"):
        codes.clean_text("x" * 201, "name")
