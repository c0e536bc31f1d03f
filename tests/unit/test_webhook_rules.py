"""Pure webhook rules: signatures the reference verifier accepts, the retry schedule, Retry-After,
refused addresses and event names."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from postal.domain import webhooks as rules
from postal.errors import InvalidInput


def test_signatures_verify_with_the_reference_verifier():
    secret = rules.new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    body = '{"type":"shipment.delivered","data":{"tracking_code":"RA000000015VN","note":"Đã giao"}}'
    headers = rules.headers(secret, "msg_42", int(time.time()), body)
    assert Webhook(secret).verify(body.encode(), headers)["type"] == "shipment.delivered"
    with pytest.raises(Exception, match="signature"):
        Webhook(rules.new_secret()).verify(body.encode(), headers)


def test_the_schedule_retries_first_within_10_s_and_spans_more_than_24_h():
    low, high = (lambda a, b: a), (lambda a, b: b)
    assert rules.backoff_seconds(1, high) <= 10 and rules.backoff_seconds(1, low) >= 1
    elapsed, failures = 0.0, 0
    start = datetime(2026, 12, 1, tzinfo=UTC)
    while not rules.gives_up(start, start + timedelta(seconds=elapsed)):
        failures += 1
        elapsed += rules.backoff_seconds(failures, high)
        assert rules.backoff_seconds(failures, high) <= 4 * 3600 * 1.2
    assert elapsed >= 24 * 3600 and failures < 30
    assert [round(rules.backoff_seconds(n, lambda a, b: 1.0)) for n in (1, 2, 3)] == [5, 15, 45]


def test_retry_after_in_seconds_or_as_a_date_clamped():
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert rules.retry_after_seconds("120", now) == 120
    assert rules.retry_after_seconds("Tue, 01 Dec 2026 08:00:30 GMT", now) == 30
    assert rules.retry_after_seconds("0", now) == 1
    assert rules.retry_after_seconds("99999999", now) == 24 * 3600
    assert rules.retry_after_seconds("soon", now) is None
    assert rules.retry_after_seconds(None, now) is None


@pytest.mark.parametrize(("address", "refused"), [
    ("93.184.216.34", False), ("2606:2800:220:1:248:1893:25c8:1946", False),
    ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("::ffff:127.0.0.1", True), ("10.0.0.1", True),
    ("172.16.5.4", True), ("192.168.1.1", True), ("169.254.169.254", True), ("fe80::1", True), ("fc00::1", True),
    ("224.0.0.1", True), ("ff02::1", True), ("0.0.0.0", True), ("::", True), ("240.0.0.1", True),
    ("100.64.0.1", True), ("192.0.2.1", True), ("255.255.255.255", True), ("fe80::1%eth0", True),
])
def test_refused_addresses(address, refused):
    assert (rules.refusal(address, allow_loopback=False) is not None) is refused


def test_the_flag_opens_loopback_only():
    assert rules.refusal("127.0.0.1", allow_loopback=True) is None
    assert rules.refusal("::1", allow_loopback=True) is None
    assert rules.refusal("10.0.0.1", allow_loopback=True) is not None
    assert rules.refusal("169.254.169.254", allow_loopback=True) is not None


def test_event_names():
    assert rules.clean_events(["shipment.delivered", "shipment.created", "shipment.delivered"]) == [
        "shipment.delivered", "shipment.created"]
    assert rules.clean_events(["shipment.delivered", "*"]) == ["*"]
    with pytest.raises(InvalidInput) as err:
        rules.clean_events(["shipment.delivered", "shipment.lost", "x"])
    assert [e.field for e in err.value.errors] == ["events.1", "events.2"]
    assert rules.matches(["*"], "shipment.arrived") and not rules.matches(["shipment.created"], "shipment.arrived")


@pytest.mark.parametrize("url", ["ftp://a.example/", "http:///x", "http://u:p@a.example/", "http://a.example:0x/",
                                 "javascript:alert(1)", "http://a.example/\nx", "https://" + "a" * 2000 + ".vn/"])
def test_bad_urls(url):
    with pytest.raises(InvalidInput):
        rules.check_url(url)


def test_good_urls_give_host_and_port():
    assert rules.check_url("https://hooks.example.org/p?q=1") == ("hooks.example.org", 443)
    assert rules.check_url("http://[2001:db8::1]:8080/") == ("2001:db8::1", 8080)
