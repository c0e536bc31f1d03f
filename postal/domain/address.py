"""Addresses in the two-level units in force since 1 July 2025 (province + ward/commune).

Codes are the official statistics codes, accepted with or without leading zeros
and answered in canonical form (province ``25``, ward ``08707``), validated
against the ``vietnam-provinces`` package.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from postal.domain.codes import invalid


@dataclass(frozen=True)
class Unit:
    """A validated province and ward, with canonical codes and official names."""

    province_code: str
    province_name: str
    ward_code: str
    ward_name: str


def canonical_province_code(code: str, field: str = "province_code") -> str:
    """The two-digit province code, or InvalidInput."""
    return f"{int(_lookup_province(code, field).code):02d}"


def _number(code: str | int, field: str, what: str) -> int:
    text = str(code).strip()
    if not re.fullmatch(r"\d{1,8}", text):
        raise invalid(field, f"Mã {what} phải là số (mã thống kê), ví dụ {'25' if what == 'tỉnh' else '08707'}.")
    return int(text)


def _lookup_province(code: str | int, field: str) -> Province:
    try:
        return Province.from_code(ProvinceCode(_number(code, field, "tỉnh")))
    except ValueError:
        raise invalid(field, f"Không có tỉnh/thành phố mã {code} (đơn vị hành chính từ 1/7/2025).") from None


def _lookup_ward(code: str | int, field: str) -> Ward:
    try:
        return Ward.from_code(WardCode(_number(code, field, "xã")))
    except ValueError:
        raise invalid(field, f"Không có phường/xã mã {code} (đơn vị hành chính từ 1/7/2025).") from None


def resolve_unit(province_code: str | int, ward_code: str | int, prefix: str = "") -> Unit:
    """Validate a province + ward pair: both exist and the ward lies in the province."""
    province = _lookup_province(province_code, f"{prefix}province_code")
    ward = _lookup_ward(ward_code, f"{prefix}ward_code")
    if int(ward.province_code) != int(province.code):
        raise invalid(f"{prefix}ward_code", f"Phường/xã {ward.name} không thuộc {province.name}.")
    return Unit(
        province_code=f"{int(province.code):02d}",
        province_name=province.name,
        ward_code=f"{int(ward.code):05d}",
        ward_name=ward.name,
    )


def province_name(code: str) -> str:
    """Official name of a canonical province code."""
    return _lookup_province(code, "province_code").name


def ward_name(code: str) -> str:
    """Official name of a canonical ward code."""
    return _lookup_ward(code, "ward_code").name


def wards_of(province_code: str) -> list[tuple[str, str]]:
    """(code, name) of every ward/commune in a province, for address pickers."""
    province = _lookup_province(province_code, "province_code")
    wards = (w for w in Ward.iter_all() if int(w.province_code) == int(province.code))
    return sorted((f"{int(w.code):05d}", w.name) for w in wards)


def provinces() -> list[tuple[str, str]]:
    """(code, name) of every province/city, for address pickers."""
    return sorted((f"{int(p.code):02d}", p.name) for p in Province.iter_all())


_UNIT_PREFIXES = ("", "tỉnh ", "thành phố ", "tp ", "tp. ", "phường ", "xã ", "đặc khu ", "p. ", "x. ")


def _said(name: str, segments: set[str]) -> bool:
    """True when a comma-separated segment of the street line already names ``name``."""
    bare = name.casefold()
    for prefix in ("phường ", "xã ", "đặc khu ", "thành phố ", "tỉnh "):
        bare = bare.removeprefix(prefix)
    return any(prefix + bare in segments for prefix in _UNIT_PREFIXES)


def address_lines(street: str, ward: str, province: str) -> tuple[str, ...]:
    """The street line, then "ward, province" without the units the street line already names.

    Clerks often type the ward into the street line ("Số 2 Hai Bà Trưng, Phường Vĩnh Yên");
    printing the ward again after it reads as a mistake on the slip.
    """
    street = " ".join(unicodedata.normalize("NFC", street).split())
    segments = {" ".join(s.split()).casefold() for s in street.split(",")}
    units = [u for u in (ward, province) if u and not _said(u, segments)]
    return tuple(line for line in (street, ", ".join(units)) if line)
