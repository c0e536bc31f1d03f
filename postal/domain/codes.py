"""Identifiers and personal fields: S10 tracking codes, dossier codes, phones, ID numbers, text.

All pure: each function takes a value and returns the canonical form or raises
:class:`~postal.errors.InvalidInput` with a message a clerk can act on.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from datetime import date

from postal.domain.text import refusal_message, unify_newlines
from postal.errors import FieldError, InvalidInput

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
S10_COUNTRY = "VN"
MAX_SERIAL = 99_999_999
_S10_RE = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
_PREFIX_RE = re.compile(r"^[A-Z]{2}$")
_SEPARATORS_RE = re.compile(r"[\s\-]")


def invalid(field: str, message: str) -> InvalidInput:
    """One-field validation error, ready to raise."""
    return InvalidInput(message, errors=[FieldError(field, message)])


def s10_check_digit(serial: str) -> int:
    """UPU S10 check digit of an 8-digit serial (weights 8 6 4 2 3 5 9 7, mod 11)."""
    if len(serial) != len(S10_WEIGHTS):
        raise ValueError(f"S10 serial must have 8 digits, got {serial!r}")
    total = sum(map(operator.mul, map(int, serial), S10_WEIGHTS))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def make_s10(prefix: str, number: int, country: str = S10_COUNTRY) -> str:
    """The tracking code for serial ``number`` (from the database sequence)."""
    if not _PREFIX_RE.match(prefix):
        raise ValueError(f"S10 prefix must be two letters A-Z, got {prefix!r}")
    if not 0 < number <= MAX_SERIAL:
        raise ValueError(f"S10 serial out of range: {number}")
    serial = f"{number:08d}"
    return f"{prefix}{serial}{s10_check_digit(serial)}{country}"


def normalize_s10(text: str, field: str = "code") -> str:
    """Canonical tracking code from user input: case-insensitive, spaces and dashes ignored."""
    code = _SEPARATORS_RE.sub("", text).upper()
    match = _S10_RE.match(code)
    if not match:
        raise invalid(field, "Mã bưu gửi phải có dạng 2 chữ cái, 9 chữ số và 'VN' (ví dụ RA123456785VN).")
    if s10_check_digit(match.group(2)) != int(match.group(3)):
        raise invalid(field, "Mã bưu gửi sai số kiểm tra: hãy kiểm tra lại từng chữ số.")
    if match.group(4) != S10_COUNTRY:
        raise invalid(field, "Mã bưu gửi phải kết thúc bằng 'VN'.")
    return code


def is_s10(text: str) -> bool:
    """True when ``text`` is a valid tracking code (after normalisation)."""
    try:
        normalize_s10(text)
    except InvalidInput:
        return False
    return True


# <agency id>-<yymmdd>-<sequence>, agency id like 000.00.15.H62 (dotted alphanumeric groups)
_AGENCY_ID = r"[0-9A-Z]{1,10}(?:\.[0-9A-Z]{1,10}){1,5}"
_AGENCY_ID_RE = re.compile(_AGENCY_ID)
_DOSSIER_RE = re.compile(rf"^({_AGENCY_ID})-(\d{{6}})-(\d{{4,10}})$")


def validate_dossier_code(
    code: str, *, free_form: bool, agency_id: str | None = None, field: str = "dossier.code"
) -> str:
    """The dossier code as given (NFC, trimmed), checked against the national format unless free-form.

    With ``agency_id`` the code's agency part must be exactly it (SPEC §11): an agency files only
    its own dossiers.
    """
    value = clean_text(code, field, max_length=64)
    if free_form:
        return value
    match = _DOSSIER_RE.match(value)
    if not match or not _is_yymmdd(match.group(2)):
        raise invalid(
            field,
            "Mã hồ sơ phải theo mẫu <mã cơ quan>-<yymmdd>-<số thứ tự 4+ chữ số>, ví dụ 000.00.15.H62-260315-0012.",
        )
    if agency_id is not None and match.group(1) != agency_id:
        raise invalid(
            field, f"Mã hồ sơ phải bắt đầu bằng mã cơ quan của đơn vị bạn: {agency_id}-yymmdd-số thứ tự.",
        )
    return value


def is_dossier_agency_id(text: str) -> bool:
    """True when ``text`` has the shape of a dossier code's agency part (``000.00.15.H62``)."""
    return bool(_AGENCY_ID_RE.fullmatch(text))


def _is_yymmdd(text: str) -> bool:
    try:
        date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError:
        return False
    return True


_PHONE_MOBILE_PREFIXES = ("03", "05", "07", "08", "09")


def normalize_phone(text: str, field: str = "citizen.phone") -> str:
    """A Vietnamese mobile number as ``0xxxxxxxxx`` (accepts +84, 84, spaces, dots, dashes).

    Mobile only: the number receives the one-time code and notifications by SMS/Zalo.
    """
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not re.fullmatch(r"0\d{9}", digits):
        raise invalid(field, "Số điện thoại phải gồm 10 chữ số, bắt đầu bằng 0 (hoặc +84), ví dụ 0912345678.")
    if not digits.startswith(_PHONE_MOBILE_PREFIXES):
        raise invalid(field, "Số điện thoại di động Việt Nam bắt đầu bằng 03, 05, 07, 08 hoặc 09.")
    return digits


def normalize_id_number(text: str, field: str = "citizen.id_number") -> str:
    """A 12-digit citizen ID number (CCCD); spaces are ignored."""
    digits = re.sub(r"\s", "", text)
    if not re.fullmatch(r"\d{12}", digits):
        raise invalid(field, "Số định danh (CCCD) phải gồm đúng 12 chữ số.")
    return digits


def check_text(text: str, field: str, *, multiline: bool = False) -> str:
    """``text`` unchanged, or InvalidInput naming ``field`` when it holds a refused character (SPEC §11)."""
    message = refusal_message(text, multiline=multiline)
    if message is not None:
        raise invalid(field, message)
    return text


def clean_text(
    text: str, field: str, *, max_length: int = 200, required: bool = True, multiline: bool = False
) -> str:
    """Text in Unicode NFC, trimmed, without refused characters (:mod:`postal.domain.text`).

    Single-line text has its runs of spaces collapsed; multi-line text keeps ``\\n`` line breaks.
    Blank is refused when ``required``.
    """
    value = check_text(unicodedata.normalize("NFC", text), field, multiline=multiline)
    if multiline:
        value = unify_newlines(value).strip()
    else:
        value = re.sub(r"\s+", " ", value).strip()
    if required and not value:
        raise invalid(field, "Không được để trống.")
    if len(value) > max_length:
        raise invalid(field, f"Dài quá {max_length} ký tự.")
    return value
