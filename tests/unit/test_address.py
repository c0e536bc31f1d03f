"""Two-level administrative units (since 1 July 2025), without a database."""

import pytest

from postal.domain.address import canonical_province_code, provinces, resolve_unit, wards_of
from postal.errors import InvalidInput


@pytest.mark.parametrize(("province", "ward"), [("25", "08707"), ("025", "8707"), ("25", "008707")])
def test_codes_with_or_without_leading_zeros_answer_canonical(province, ward):
    unit = resolve_unit(province, ward)
    assert (unit.province_code, unit.ward_code) == ("25", "08707")
    assert (unit.province_name, unit.ward_name) == ("Phú Thọ", "Phường Vĩnh Yên")


def test_ward_must_lie_in_the_province():
    with pytest.raises(InvalidInput) as info:
        resolve_unit("01", "08707", "citizen.address.")
    assert info.value.errors[0].field == "citizen.address.ward_code"
    assert "không thuộc" in info.value.detail


@pytest.mark.parametrize(("province", "ward", "field"),
                         [("99", "08707", "province_code"), ("25", "99999", "ward_code"), ("x", "1", "province_code")])
def test_unknown_units(province, ward, field):
    with pytest.raises(InvalidInput) as info:
        resolve_unit(province, ward)
    assert info.value.errors[0].field == field


def test_pre_reform_province_is_refused():
    with pytest.raises(InvalidInput):  # 26 was Vĩnh Phúc, merged into Phú Thọ on 1 July 2025
        canonical_province_code("26")


def test_pickers_list_the_34_provinces_and_their_wards():
    assert len(provinces()) == 34
    assert ("08707", "Phường Vĩnh Yên") in wards_of("25")


def test_address_lines_print_each_unit_once():
    from postal.domain.address import address_lines

    ward, province = "Phường Vĩnh Yên", "Phú Thọ"
    assert address_lines("Số 2 Hai Bà Trưng", ward, province) == ("Số 2 Hai Bà Trưng", "Phường Vĩnh Yên, Phú Thọ")
    assert address_lines("Số 2 Hai Bà Trưng, Phường Vĩnh Yên", ward, province) == (
        "Số 2 Hai Bà Trưng, Phường Vĩnh Yên", "Phú Thọ")
    assert address_lines("Số 2, p. vĩnh yên, tỉnh Phú Thọ", ward, province) == ("Số 2, p. vĩnh yên, tỉnh Phú Thọ",)
    # a street named like the ward is not the ward
    assert address_lines("Số 9 đường Vĩnh Yên", ward, province) == ("Số 9 đường Vĩnh Yên", "Phường Vĩnh Yên, Phú Thọ")
    assert address_lines("  ", ward, province) == ("Phường Vĩnh Yên, Phú Thọ",)
