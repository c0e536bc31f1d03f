"""The VNPost adapter's pure parts: the status table for every code, builders and parsers on recorded payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from postal.carriers.errors import CarrierAuthFailed, CarrierRejected, CarrierUnavailable, DuplicateOrder
from postal.carriers.vnpost import build, parse, statuses
from postal.domain.lifecycle import Event

# code → (our event or None for a note, UPU code, needs staff attention)
EXPECTED: dict[int, tuple[Event | None, str | None, bool]] = {
    0: (None, None, False), 1: (None, None, False), 2: (None, None, False), 3: (None, None, False),
    4: (None, None, False), 5: (None, None, False), 6: (Event.picked_up, "EMA", False),
    7: (Event.arrived, "EMD", False), 8: (None, None, False), 9: (None, None, True),
    10: (Event.arrived, "EMD", False), 11: (Event.arrived, "EMG", False),
    12: (Event.out_for_delivery, "EMG", False), 13: (None, None, False), 14: (Event.delivered, "EMI", False),
    15: (Event.delivery_failed, "EMH", False), 16: (None, None, False), 17: (None, None, False),
    18: (None, None, False), 19: (Event.returned, None, False), 20: (None, None, False),
    21: (None, None, False), 22: (None, None, True),
    101: (Event.picked_up, "EMA", False), 102: (Event.arrived, "EMB", False), 103: (Event.arrived, "EMC", False),
    104: (Event.arrived, "EMD", False), 105: (Event.arrived, "EME", False), 106: (Event.arrived, "EMF", False),
    107: (Event.out_for_delivery, "EMG", False), 108: (Event.delivery_failed, "EMH", False),
    109: (Event.delivered, "EMI", False), 110: (Event.arrived, "EMJ", False), 111: (Event.arrived, "EMK", False),
}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_every_code_maps_as_documented(code: int) -> None:
    meaning = statuses.lookup(code)
    assert meaning is not None and meaning.code == code and meaning.text
    assert (meaning.event, meaning.upu, meaning.attention) == EXPECTED[code]


def test_the_table_has_exactly_the_spec_codes_and_nothing_else_is_known() -> None:
    assert set(statuses.STATUSES) == set(range(23)) | set(range(101, 112))
    for unknown in (-1, 23, 99, 100, 112, 999):
        assert statuses.lookup(unknown) is None


CITIZEN = build.Party("Nguyễn Thị Hồng Nhung", "0912345678", "Số 12 ngõ 3, Phường Vĩnh Yên, Phú Thọ", "25")
AGENCY = build.Party("Trung tâm Phục vụ hành chính công", "", "Số 2 Hai Bà Trưng, Phường Vĩnh Yên, Phú Thọ", "25")


def test_create_order_body_is_the_myvnpost_shape_and_has_no_id_number() -> None:
    order = build.OrderData("RA000000015VN", AGENCY, CITIZEN, "Cấp đổi GPLX — Hồ sơ 000.00.15.H62-260315-0012",
                            cod_amount=25000)
    body = build.build_create_order(order)
    assert body["orderCreationStatus"] == 1 and body["type"] == "GUI"
    info = body["informationOrder"]
    assert info["saleOrderCode"] == "RA000000015VN"
    assert info["receiverName"] == "Nguyễn Thị Hồng Nhung" and info["receiverPhone"] == "0912345678"
    assert info["senderProvinceCode"] == "25" and info["addonService"] == [{"code": "COD", "propValue": "25000"}]
    assert "001199012345" not in json.dumps(body, ensure_ascii=False)
    assert not any("id" in k.lower() and "number" in k.lower() for k in info)
    assert build.build_create_order(build.OrderData("RA000000015VN", AGENCY, CITIZEN, ""))[
        "informationOrder"]["addonService"] == []


def test_small_bodies() -> None:
    assert build.build_token_request("u", "p", "C1") == {"username": "u", "password": "p", "customerCode": "C1"}
    assert build.build_cancel("VNP1") == {"OriginalId": "VNP1"}
    assert build.build_find_order("RA1") == {"saleOrderCode": "RA1"}
    assert build.build_tracking_request(7, 50) == {"lastId": 7, "pageSize": 50}


def test_parse_token_and_refusals() -> None:
    assert parse.parse_token(200, {"success": True, "token": "abc", "expiresIn": 3600}) == ("abc", 3600.0)
    assert parse.parse_token(200, {"success": True, "token": "abc"}) == ("abc", None)
    with pytest.raises(CarrierAuthFailed):
        parse.parse_token(401, {"success": False, "message": "Sai thông tin đăng nhập"})
    with pytest.raises(CarrierUnavailable):
        parse.parse_token(503, {"success": False})


def test_parse_create_order_recorded_answers() -> None:
    created = parse.parse_create_order(200, {"success": True, "originalID": "VNP00000001", "status": 1,
                                             "totalFee": 22000})
    assert created == parse.CreatedOrder("VNP00000001", 1, 22000)
    with pytest.raises(DuplicateOrder):
        parse.parse_create_order(409, {"success": False, "errorCode": "DUPLICATE_SALE_ORDER_CODE",
                                       "message": "Mã đơn hàng đã tồn tại"})
    with pytest.raises(CarrierRejected) as refused:
        parse.parse_create_order(400, {"success": False, "errorCode": "INVALID", "message": "Thiếu\x00 tên"})
    assert not isinstance(refused.value, DuplicateOrder) and "\x00" not in str(refused.value)
    with pytest.raises(CarrierUnavailable):
        parse.parse_create_order(502, None)
    with pytest.raises(CarrierRejected):
        parse.parse_create_order(200, ["not", "an", "object"])


def test_parse_find_and_cancel() -> None:
    assert parse.parse_find_order(404, {"success": False}) is None
    assert parse.parse_find_order(200, {"originalID": "VNP9", "status": 6}) == parse.CreatedOrder("VNP9", 6, None)
    assert parse.parse_cancel(200, {"success": True}) is True
    assert parse.parse_cancel(404, {"success": False}) is False


def test_parse_reports_times_and_bad_items() -> None:
    one = {"id": 3, "originalID": "VNP1", "saleOrderCode": "RA000000015VN", "status": "14",
           "time": "2026-12-02T09:30:00+07:00", "note": "Người nhận:\u202e ký\n"}
    report = parse.parse_report(one)
    assert report is not None
    assert report.status == 14 and report.feed_id == 3 and report.order_id == "VNP1"
    assert report.occurred_at == datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
    assert report.note == "Người nhận: ký"
    naive = parse.parse_report({**one, "time": "02/12/2026 09:30:00"})
    assert naive is not None and naive.occurred_at == report.occurred_at
    assert parse.parse_report({**one, "time": "2026-12-02T09:30:00"}) == naive
    for bad in ({**one, "time": "yesterday"}, {**one, "status": "x"}, {**one, "originalID": ""}, "text",
                {**one, "status": True}, {**one, "time": "31/02/2026 10:00"}):
        assert parse.parse_report(bad) is None
    assert len(parse.parse_reports({"events": [one, one]})) == 2
    assert len(parse.parse_reports([one])) == 1 and len(parse.parse_reports(one)) == 1
    tracked = parse.parse_tracking(200, {"success": True, "items": [one, {"bad": 1}]})
    assert tracked[0] == report and tracked[1] is None
