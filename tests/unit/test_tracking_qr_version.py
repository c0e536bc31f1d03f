"""The QR code of a slip stays small: version 4 or lower at error correction level M (SPEC §3, issue 5)."""

from __future__ import annotations

import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from postal.domain.signing import SIG_LENGTH, qr_payload, sign_code


def _version(text: str) -> int:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    return int(qr.version)


@pytest.mark.parametrize(("url", "version"), [
    ("https://dichvucong.example.gov.vn/q/RA123456785VN.ABCD1234", 4),  # 58 bytes, byte mode
    ("http://127.0.0.1:8080/q/RA123456785VN.ABCD1234", 3),  # 46 bytes
])
def test_measured_versions(url, version):
    assert _version(url) == version


def test_a_real_payload_is_version_4_or_lower():
    payload = qr_payload("https://dichvucong.example.gov.vn", "RA123456785VN", b"some-secret-key")
    assert len(payload.rsplit(".", 1)[1]) == SIG_LENGTH == 8
    assert _version(payload) <= 4


def test_signature_is_base32():
    sig = sign_code("RA123456785VN", b"k")
    assert set(sig) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
