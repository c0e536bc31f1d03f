"""The handover proof of a ``delivered`` scan (SPEC §4, §5), pure rules.

``delivered`` in the ``delivery`` direction needs the recipient's name, the relationship
(``self`` / ``authorized`` with an authorisation document number) and a verification (last 4 ID
digits or a 6-digit one-time code). In the ``pickup`` direction only the receiving officer's name.
The one-time code is made, hashed and checked here; when it is made and sent is
:mod:`postal.services.handover`'s business.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from postal.domain.lifecycle import Direction
from postal.domain.text import refusal_message
from postal.errors import FieldError, InvalidInput

MAX_VERIFICATION_TRIES = 5
"""Wrong handover verifications allowed before the handover is locked (SPEC §4)."""

MAX_NAME_LENGTH = 200
MAX_AUTHORIZATION_LENGTH = 100



class Relationship(StrEnum):
    """Who took the item: the citizen in person, or someone they authorised."""

    self_ = "self"
    authorized = "authorized"


class VerificationMethod(StrEnum):
    """How the courier checked the recipient."""

    id_last4 = "id_last4"
    otp = "otp"


_VERIFICATION_DIGITS = {VerificationMethod.id_last4: 4, VerificationMethod.otp: 6}


@dataclass(frozen=True)
class Proof:
    """A validated, normalised handover proof (text in NFC, whitespace collapsed)."""

    recipient_name: str
    relationship: Relationship | None = None
    authorization_number: str | None = None
    verification_method: VerificationMethod | None = None
    verification_value: str | None = None


def _clean_text(value: object) -> str | None:
    """NFC, whitespace collapsed; None when missing, blank or not a string."""
    if not isinstance(value, str):
        return None
    cleaned = " ".join(unicodedata.normalize("NFC", value).split())
    return cleaned or None


def _text_field(
    proof: Mapping[str, Any], key: str, path: str, limit: int, errors: list[FieldError]
) -> str | None:
    raw = proof.get(key)
    refused = refusal_message(raw) if isinstance(raw, str) else None
    if refused is not None:
        errors.append(FieldError(path, refused))
        return None
    value = _clean_text(raw)
    if value is None:
        errors.append(FieldError(path, "Bắt buộc, không được để trống."))
    elif len(value) > limit:
        errors.append(FieldError(path, f"Tối đa {limit} ký tự."))
        return None
    return value


def _relationship(proof: Mapping[str, Any], errors: list[FieldError]) -> Relationship | None:
    raw = proof.get("relationship")
    if raw in {r.value for r in Relationship}:
        return Relationship(raw)
    errors.append(FieldError("proof.relationship", "Phải là 'self' hoặc 'authorized'."))
    return None


def _authorization(proof: Mapping[str, Any], errors: list[FieldError]) -> str | None:
    # SPEC calls it the authorisation document number; accept either spelling.
    key = "authorization_number"
    if key not in proof and "authorization_document" in proof:
        key = "authorization_document"
    return _text_field(proof, key, f"proof.{key}", MAX_AUTHORIZATION_LENGTH, errors)


def _verification(
    proof: Mapping[str, Any], errors: list[FieldError]
) -> tuple[VerificationMethod | None, str | None]:
    raw = proof.get("verification")
    if not isinstance(raw, Mapping):
        errors.append(FieldError("proof.verification", "Bắt buộc: {method, value}."))
        return None, None
    method = raw.get("method")
    if method not in {m.value for m in VerificationMethod}:
        errors.append(FieldError("proof.verification.method", "Phải là 'id_last4' hoặc 'otp'."))
        return None, None
    digits = _VERIFICATION_DIGITS[VerificationMethod(method)]
    value = raw.get("value")
    value = "".join(value.split()) if isinstance(value, str) else None
    if value is None or not re.fullmatch(rf"[0-9]{{{digits}}}", value):
        errors.append(FieldError("proof.verification.value", f"Phải gồm đúng {digits} chữ số."))
        return VerificationMethod(method), None
    return VerificationMethod(method), value


def _delivery_proof(proof: Mapping[str, Any], errors: list[FieldError]) -> Proof | None:
    name = _text_field(proof, "recipient_name", "proof.recipient_name", MAX_NAME_LENGTH, errors)
    relationship = _relationship(proof, errors)
    authorization = _authorization(proof, errors) if relationship is Relationship.authorized else None
    method, value = _verification(proof, errors)
    if errors or name is None:
        return None
    return Proof(name, relationship, authorization, method, value)


def validate_proof(direction: Direction, proof: Mapping[str, Any] | None) -> Proof:
    """Validate the proof a ``delivered`` scan carries; raise :class:`InvalidInput` listing every fault.

    ``delivery``: recipient name, relationship (+ authorisation number when
    ``authorized``) and verification. ``pickup``: the receiving officer's name only.
    """
    if not isinstance(proof, Mapping):
        raise InvalidInput(
            "Cần thông tin xác nhận giao nhận (proof).",
            errors=[FieldError("proof", "Bắt buộc khi ghi nhận 'delivered'.")],
        )
    errors: list[FieldError] = []
    if direction is Direction.pickup:
        name = _text_field(proof, "recipient_name", "proof.recipient_name", MAX_NAME_LENGTH, errors)
        result = Proof(name) if name and not errors else None
    else:
        result = _delivery_proof(proof, errors)
    if result is None:
        raise InvalidInput("Thông tin xác nhận giao nhận chưa đầy đủ hoặc không hợp lệ.", errors=errors)
    return result


def check_id_last4(id_number_on_file: str, value: str) -> bool:
    """True when ``value`` is the last 4 digits of the ID number on file (constant time)."""
    on_file = re.sub(r"[^0-9]", "", id_number_on_file)
    given = "".join(value.split())
    if len(on_file) < 4 or not re.fullmatch(r"[0-9]{4}", given):
        return False
    return hmac.compare_digest(on_file[-4:], given)


def new_otp() -> str:
    """A fresh 6-digit one-time code from a cryptographic source."""
    return f"{secrets.randbelow(10**6):06d}"


def hash_otp(code: str, key: bytes) -> str:
    """The keyed hash stored instead of the code (HMAC-SHA256, hex)."""
    message = b"postal-otp:" + "".join(code.split()).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify_otp(code: str, hashed: str, key: bytes) -> bool:
    """True when ``code`` matches the stored hash; constant time."""
    if not code.isascii() or not hashed.isascii():
        return False  # compare_digest only takes ASCII strings
    return hmac.compare_digest(hash_otp(code, key), hashed)
