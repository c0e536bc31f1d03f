"""Signed QR links (SPEC §3): ``{public_url}/q/{tracking_code}.{sig}``.

``sig`` is the HMAC-SHA256 of the tracking code under the service's secret key,
cut to 8 base32 characters (40 bits), upper case, no padding — short enough to keep
the QR code small and easy to type.

Why 40 bits is enough: the signature is checked online only, and the public
tracking endpoint is rate-limited per client, so guessing is limited to a few
requests a second against a 1-in-2^40 (about 10^12) chance each; and a valid sig
only unlocks the masked name and the ward/province of one shipment, never a phone,
ID number or street line. The message is domain-separated (``postal-qr:``) so the
same secret key can sign sessions and webhooks without a sig ever meaning anything there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote, urlsplit

SIG_LENGTH = 8
_DOMAIN = b"postal-qr:"


def _canonical(tracking_code: str) -> str:
    return "".join(tracking_code.split()).upper()


def sign_code(tracking_code: str, key: bytes) -> str:
    """The 8-character base32 signature of a tracking code (case and spaces ignored)."""
    mac = hmac.new(key, _DOMAIN + _canonical(tracking_code).encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii")[:SIG_LENGTH]


def verify_code_sig(tracking_code: str, sig: str, key: bytes) -> bool:
    """True when ``sig`` signs ``tracking_code``; case-insensitive, constant time."""
    given = sig.strip().upper()
    if len(given) != SIG_LENGTH or not given.isascii():
        return False  # compare_digest only takes ASCII strings
    return hmac.compare_digest(sign_code(tracking_code, key), given)


def qr_payload(public_url: str, tracking_code: str, key: bytes) -> str:
    """The text printed in the QR code: ``{public_url}/q/{CODE}.{sig}``."""
    code = _canonical(tracking_code)
    return f"{public_url.rstrip('/')}/q/{code}.{sign_code(code, key)}"


def _last_path_segment(text: str) -> str:
    """The last non-empty path segment of a URL (any host), percent-decoded."""
    segments = [s for s in urlsplit(text).path.split("/") if s]
    return unquote(segments[-1]) if segments else ""


def parse_qr_payload(text: str) -> tuple[str, str | None]:
    """Split a scanned text into (code, sig or None); no check-digit validation here.

    Accepts a whole QR URL (any host, ``/q/CODE.SIG`` or ``/t/CODE``), ``CODE.SIG``,
    or a bare code typed with spaces or in lower case. The code comes back upper case
    without spaces, the sig upper case.
    """
    text = text.strip()
    if "/" in text:
        text = _last_path_segment(text)
    code, dot, sig = text.partition(".")
    sig = "".join(sig.split()).upper()
    return _canonical(code), (sig if dot and sig else None)
