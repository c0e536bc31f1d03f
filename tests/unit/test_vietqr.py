"""VietQR payloads (NAPAS EMVCo): the CRC, a public known-good sample, field layout, refusals."""

from __future__ import annotations

import pytest

from postal.domain import vietqr

# From subiz/vietqr's README (a Go library used in production): 120 000 đ to account 0011001932418
# at BIN 970415 with the purpose "ung ho lu lut", no bill number.
SUBIZ_SAMPLE = ("00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA5303704540612000058"
                "02VN62170813ung ho lu lut6304C15C")


def test_crc_check_value() -> None:
    assert vietqr.crc16_ccitt_false(b"123456789") == 0x29B1


def test_known_good_sample_is_reproduced() -> None:
    built = vietqr.payload(vietqr.Transfer("970415", "0011001932418", 120000, None, "ung ho lu lut"))
    assert built == SUBIZ_SAMPLE
    assert vietqr.crc_ok(SUBIZ_SAMPLE)
    assert not vietqr.crc_ok(SUBIZ_SAMPLE[:-1] + "D")


def test_fields_of_our_payload() -> None:
    text = vietqr.payload(vietqr.Transfer("970436", "0123456789", 35000, "RA000000015VN", "Phí bưu gửi hồ sơ"))
    top = vietqr.parse(text)
    assert top["00"] == "01" and top["01"] == "12" and top["53"] == "704" and top["54"] == "35000"
    assert top["58"] == "VN" and len(top["63"]) == 4 and top["63"] == top["63"].upper()
    merchant = vietqr.parse(top["38"])
    assert merchant == {"00": "A000000727", "01": "00069704360110" + "0123456789", "02": "QRIBFTTA"}
    assert vietqr.parse(merchant["01"]) == {"00": "970436", "01": "0123456789"}
    assert vietqr.parse(top["62"]) == {"01": "RA000000015VN", "08": "Phi buu gui ho so"}
    assert list(top) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert vietqr.crc_ok(text)


@pytest.mark.parametrize(("bin_code", "account"), [("97041", "0123456"), ("97041a", "0123456"),
                                                    ("970415", "12345"), ("970415", "1" * 20)])
def test_bad_accounts_are_refused(bin_code: str, account: str) -> None:
    with pytest.raises(vietqr.VietQRError):
        vietqr.payload(vietqr.Transfer(bin_code, account, 1000))


def test_bank_name_is_upper_ascii() -> None:
    name = vietqr.bank_name("Trung tâm Phục vụ hành chính công Đồng Nai")
    assert name == "TRUNG TAM PHUC VU HANH CHINH CONG DONG NAI"
    with pytest.raises(vietqr.VietQRError):
        vietqr.bank_name("  !!! ")
