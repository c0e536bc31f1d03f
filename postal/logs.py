"""Structured logs: one JSON object per line. Callers pass ids and codes, never names, phones or ID numbers.

No secret reaches a line (SPEC §11): aiohttp's parser errors (a request head over the size limits,
a malformed header) carry the first bytes of the offending line — possibly ``Authorization: Bearer
pst_…`` — in their message, so :class:`SecretFilter` logs them by class name only, and every line
is scrubbed of bearer tokens, ``pst_`` tokens, cookies and password fields as a last resort.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}


_SECRETS = re.compile(
    r"(?i)(bearer|basic)(\s|\\x20|%20)+[^\s'\",;]+"
    r"|pst_[A-Za-z0-9_\-]+"
    r"|(authorization|cookie|postal_session|password|csrf_token|x-csrf-token)([\"']?\s*[:=]\s*)[^\s&'\",;]+"
)


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``[redacted]``."""
    return _SECRETS.sub(_mask, text)


def _mask(match: re.Match[str]) -> str:
    if match.group(3):
        return f"{match.group(3)}{match.group(4)}[redacted]"
    if match.group(1):
        return f"{match.group(1)} [redacted]"
    return "[redacted]"


class SecretFilter(logging.Filter):
    """Drops the message of HTTP parser errors (it quotes the client's bytes) and keeps only its kind."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and _is_parser_error(exc):
            record.msg, record.args = "bad HTTP request refused", None
            record.exc_info, record.exc_text = None, None
            record.__dict__["error"] = type(exc).__name__
        return True


def _is_parser_error(exc: BaseException) -> bool:
    from aiohttp.http_exceptions import HttpProcessingError  # late: logs has no aiohttp at import otherwise

    return isinstance(exc, HttpProcessingError)


class JsonFormatter(logging.Formatter):
    """Formats a record and its ``extra`` fields as one JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry |= {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


def configure(level: str = "INFO") -> None:
    """Send every log record to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(SecretFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # its start-up chatter, not ours
