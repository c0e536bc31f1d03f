"""Signed QR payloads: sign, verify, build, parse."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postal.domain.signing import SIG_LENGTH, parse_qr_payload, qr_payload, sign_code, verify_code_sig

KEY = b"test-secret-key-0123456789abcdef"
CODE = "RA123456785VN"


def test_sig_is_eight_base32_characters() -> None:
    sig = sign_code(CODE, KEY)
    assert len(sig) == SIG_LENGTH == 8
    assert set(sig) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert sign_code(CODE, KEY) == sig  # deterministic
    assert sign_code("ra 123 456 785 vn", KEY) == sig


def test_roundtrip() -> None:
    sig = sign_code(CODE, KEY)
    assert verify_code_sig(CODE, sig, KEY)
    assert verify_code_sig(CODE, sig.lower(), KEY)
    assert verify_code_sig(CODE, f" {sig} ", KEY)


def test_forged_altered_and_truncated_sigs_are_rejected() -> None:
    sig = sign_code(CODE, KEY)
    altered = ("A" if sig[0] != "A" else "B") + sig[1:]
    assert not verify_code_sig(CODE, altered, KEY)
    assert not verify_code_sig(CODE, sig[:-1], KEY)
    assert not verify_code_sig(CODE, sig + "A", KEY)
    assert not verify_code_sig(CODE, "", KEY)
    assert not verify_code_sig(CODE, "ĐĐĐĐĐĐĐĐ", KEY)
    assert not verify_code_sig("RA123456794VN", sig, KEY)
    assert not verify_code_sig(CODE, sig, b"another key")


@given(st.text(min_size=0, max_size=12))
def test_random_sigs_never_crash(sig: str) -> None:
    assert verify_code_sig(CODE, sig, KEY) is (sig.strip().upper() == sign_code(CODE, KEY))


def test_qr_payload() -> None:
    sig = sign_code(CODE, KEY)
    assert (
        qr_payload("https://buudien.example.vn/", CODE, KEY) == f"https://buudien.example.vn/q/{CODE}.{sig}"
    )
    assert qr_payload("https://x.vn/hanh-chinh", "ra123456785vn", KEY).endswith(f"/hanh-chinh/q/{CODE}.{sig}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://buudien.example.vn/q/RA123456785VN.ABCD2345", (CODE, "ABCD2345")),
        ("http://other.host:8080/q/ra123456785vn.abcd2345?utm=x#top", (CODE, "ABCD2345")),
        ("https://buudien.example.vn/t/RA123456785VN", (CODE, None)),
        ("RA123456785VN.ABCD2345", (CODE, "ABCD2345")),
        (" ra 123 456 785 vn ", (CODE, None)),
        ("RA123456785VN.", (CODE, None)),
        ("/q/RA123456785VN.abcd2345", (CODE, "ABCD2345")),
        ("https://x.vn/q/RA123456785VN%2EABCD2345", (CODE, "ABCD2345")),
        ("", ("", None)),
    ],
)
def test_parse_qr_payload(text: str, expected: tuple[str, str | None]) -> None:
    assert parse_qr_payload(text) == expected


@given(st.from_regex(r"[A-Z]{2}[0-9]{9}VN", fullmatch=True), st.binary(min_size=16, max_size=64))
def test_payload_parses_back_and_verifies(code: str, key: bytes) -> None:
    parsed_code, sig = parse_qr_payload(qr_payload("https://buudien.example.vn", code, key))
    assert parsed_code == code
    assert sig is not None and verify_code_sig(parsed_code, sig, key)
