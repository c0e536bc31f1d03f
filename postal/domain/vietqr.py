"""VietQR (NAPAS 247, EMVCo merchant-presented mode): the payload of a bank-transfer QR code. Pure.

Layout (IDs with two-digit lengths, values ASCII)::

    00 02 "01"                      payload format
    01 02 "12"                      dynamic (the amount is fixed); "11" static
    38 .. 00 "A000000727"           NAPAS GUID
          01 .. 00 BIN, 01 account  beneficiary
          02 "QRIBFTTA"             transfer to an account
    53 03 "704"                     VND
    54 .. amount                    whole đồng, no separators
    58 02 "VN"
    62 .. 01 bill number, 08 purpose
    63 04 CRC-16/CCITT-FALSE        over everything before it, "6304" included; upper-case hex

Checked against the public sample of ``subiz/vietqr`` (tests/unit/test_vietqr.py). The PyPI
package ``napas-qr-python`` does the same, but this is forty lines we can read and test, so no
new dependency.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NAPAS_GUID = "A000000727"
SERVICE_ACCOUNT = "QRIBFTTA"
_BIN_RE = re.compile(r"^[0-9]{6}$")
_ACCOUNT_RE = re.compile(r"^[0-9]{6,19}$")
_NAME_RE = re.compile(r"^[A-Z0-9 .,()/-]{1,50}$")
MAX_REF = 25


class VietQRError(ValueError):
    """A value that cannot go into a VietQR payload."""


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor ("123456789" → 0x29B1)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise VietQRError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def ascii_text(text: str, limit: int = MAX_REF) -> str:
    """Vietnamese text as bank apps accept it: diacritics dropped (đ → d), ASCII letters, digits, spaces."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9 ]+", " ", text)
    return " ".join(text.split())[:limit].strip()


def bank_name(text: str) -> str:
    """The account holder's name as NAPAS spells it: upper-case ASCII; VietQRError when nothing usable."""
    name = ascii_text(text, 50).upper()
    if not _NAME_RE.match(name):
        raise VietQRError("account name must have letters")
    return name


def check_account(bin_code: str, account: str) -> None:
    """Raise VietQRError unless the BIN is 6 digits and the account 6–19 digits."""
    if not _BIN_RE.match(bin_code):
        raise VietQRError("BIN must be 6 digits")
    if not _ACCOUNT_RE.match(account):
        raise VietQRError("account number must be 6 to 19 digits")


@dataclass(frozen=True)
class Transfer:
    """One dynamic transfer: to (bin, account), ``amount`` đồng, with a bill number and a purpose."""

    bin: str
    account: str
    amount: int
    bill_number: str | None = None
    purpose: str | None = None


def payload(t: Transfer) -> str:
    """The EMVCo payload string, CRC included."""
    check_account(t.bin, t.account)
    if t.amount <= 0 or t.amount > 9_999_999_999_999:
        raise VietQRError("amount must be a positive number of đồng")
    beneficiary = _tlv("00", t.bin) + _tlv("01", t.account)
    merchant = _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", SERVICE_ACCOUNT)
    extra = ""
    if t.bill_number:
        extra += _tlv("01", ascii_text(t.bill_number))
    if t.purpose:
        extra += _tlv("08", ascii_text(t.purpose))
    body = (_tlv("00", "01") + _tlv("01", "12") + _tlv("38", merchant) + _tlv("53", "704")
            + _tlv("54", str(t.amount)) + _tlv("58", "VN") + (_tlv("62", extra) if extra else "") + "6304")
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def parse(text: str) -> dict[str, str]:
    """Top-level TLV fields of a payload (nested templates left as strings); VietQRError when malformed."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(text):
        tag, size = text[i:i + 2], text[i + 2:i + 4]
        if len(tag) < 2 or not size.isdigit() or i + 4 + int(size) > len(text):
            raise VietQRError(f"malformed field at {i}")
        fields[tag] = text[i + 4:i + 4 + int(size)]
        i += 4 + int(size)
    return fields


def crc_ok(text: str) -> bool:
    """True when the payload ends with a CRC field that matches the rest."""
    return len(text) > 8 and text[-8:-4] == "6304" and \
        f"{crc16_ccitt_false(text[:-4].encode('ascii')):04X}" == text[-4:]
