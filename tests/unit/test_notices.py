"""Pure parts of citizen notifications: texts, SMS folding, provider requests and answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from postal.domain import notices
from postal.domain.notices import Notice
from postal.services.notifications import backoff
from postal.workers import channels


def notice(kind: str, **extra: Any) -> Notice:
    return Notice(kind=kind, tracking_code="RA000000015VN", phone="0912345678",
                  link="https://tracuu.example.gov.vn/t/RA000000015VN", ref="postal-n7", **extra)


ALL = [notice("otp", otp="123456", expires="09:30 03/12/2026"), notice("picked_up", direction="pickup"),
       notice("delivered"), notice("delivered", direction="pickup"),
       notice("delivery_failed", reason_code="absent"), notice("late", due_date=date(2026, 12, 3)),
       notice("late", due_date=date(2026, 12, 3), new_date=date(2026, 12, 10)),
       notice("late", due_date=date(2026, 12, 3), direction="pickup")]


@pytest.mark.parametrize("n", ALL, ids=lambda n: f"{n.kind}-{n.direction}")
def test_texts_carry_the_code_and_nothing_personal(n: Notice) -> None:
    text, sms = notices.text(n), notices.sms_text(n)
    assert n.tracking_code in text and n.tracking_code in sms
    assert len(sms) <= 160 and sms.isascii()
    for secret in ("0912345678", "912345678"):
        assert secret not in text and secret not in sms
    assert text == __import__("unicodedata").normalize("NFC", text)


def test_each_kind_says_what_the_spec_asks() -> None:
    otp, _, _, _, failed, late, rescheduled, pickup_late = (notices.text(n) for n in ALL)
    assert "123456" in otp and "/t/RA000000015VN" in otp
    assert "người nhận vắng nhà" in failed and "hẹn giao lại" in failed
    assert "03/12/2026" in late and "10/12/2026" in rescheduled
    assert "Kết quả" in late and "Kết quả" not in pickup_late and "chuyển đến cơ quan" in pickup_late
    assert "123456" in notices.sms_text(ALL[0]) and "/t/RA000000015VN" in notices.sms_text(ALL[0])
    assert notices.without_secret(otp, ALL[0]).count("123456") == 0


def test_sms_folding_and_a_long_link_never_cut_the_code() -> None:
    assert notices.fold("Đã giao kết quả hồ sơ") == "Da giao ket qua ho so"
    long = Notice(kind="otp", tracking_code="RA000000015VN", phone="0912345678", otp="654321",
                  link="https://" + "x" * 150 + "/t/RA000000015VN", expires="09:30 03/12/2026")
    sms = notices.sms_text(long)
    assert len(sms) == 160 and sms.startswith("Ma nhan ket qua ho so RA000000015VN: 654321.")


def test_phone_forms() -> None:
    assert notices.international_phone("0912345678") == "84912345678"
    assert notices.international_phone("84912345678") == "84912345678"
    assert notices.masked_phone("0912345678") == "091****678"


def test_zns_request_and_answers() -> None:
    url, headers, body = channels.build_zns_request("https://zns.example/", "tok", "301", ALL[0])
    assert url == "https://zns.example/message/template" and headers == {"access_token": "tok"}
    assert body == {"phone": "84912345678", "template_id": "301", "tracking_id": "postal-n7",
                    "template_data": {"tracking_code": "RA000000015VN", "otp": "123456",
                                      "tracking_url": "https://tracuu.example.gov.vn/t/RA000000015VN",
                                      "expires_at": "09:30 03/12/2026"}}
    assert channels.parse_zns_response(200, {"error": 0}).outcome == "sent"
    assert channels.parse_zns_response(200, {"error": -216}).token_expired
    assert channels.parse_zns_response(200, {"error": -108}).outcome == "refused"
    assert channels.parse_zns_response(200, {"error": -109}).outcome == "refused"
    assert channels.parse_zns_response(200, "garbage").outcome == "retry"
    assert channels.parse_zns_response(502, None).outcome == "retry"
    slow = channels.parse_zns_response(429, None, "30")
    assert (slow.outcome, slow.retry_after) == ("retry", 30.0)


def test_zns_refresh_request_and_answer() -> None:
    url, headers, form = channels.build_zns_refresh("https://oauth.example/token", "app", "sec", "rt")
    assert (url, headers) == ("https://oauth.example/token", {"secret_key": "sec"})
    assert form == {"refresh_token": "rt", "app_id": "app", "grant_type": "refresh_token"}
    assert channels.parse_zns_refresh(200, {"access_token": "a", "refresh_token": "r"}) == ("a", "r")
    assert channels.parse_zns_refresh(200, {"error": -14014}) is None


def test_sms_request_and_answers() -> None:
    _url, headers, body = channels.build_sms_request("https://sms.example/send", "tok", ALL[2])
    assert headers == {"Authorization": "Bearer tok"} and body["to"] == "84912345678" and body["id"] == "postal-n7"
    assert channels.parse_sms_response(202).outcome == "sent"
    assert channels.parse_sms_response(503).outcome == "retry"
    assert channels.parse_sms_response(400).outcome == "refused"
    assert channels.parse_sms_response(401).outcome == "refused"


def test_retry_after_and_backoff() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert channels.parse_retry_after("120") == 120.0
    assert channels.parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert channels.parse_retry_after("soon") is None and channels.parse_retry_after(None) is None
    assert channels.parse_retry_after("999999") == channels.MAX_RETRY_AFTER
    assert 5 <= backoff(0, None) <= 10 and backoff(0, 300) == 300
    assert backoff(20, None) <= 3600
