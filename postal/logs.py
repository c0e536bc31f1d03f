"""Structured logs: one JSON object per line. Callers pass ids and codes, never names, phones or ID numbers.

No secret reaches a line (SPEC §11): aiohttp's parser errors (a request head over the size limits,
a malformed header) carry the first bytes of the offending line — possibly ``Authorization: Bearer
pst_…`` — in their message, so :class:`SecretFilter` logs them by class name only, and every line
is scrubbed of bearer tokens, ``pst_`` tokens, cookies and password fields as a last resort.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import logging.handlers
import queue
import re
import sys
import threading
from datetime import UTC, datetime
from typing import TextIO

import orjson

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}


_SECRETS = re.compile(
    r"(?i)(bearer|basic)(\s|\\x20|%20)+[^\s'\",;]+"
    r"|pst_[A-Za-z0-9_\-]+"
    r"|(authorization|cookie|postal_session|password|csrf_token|x-csrf-token)([\"']?\s*[:=]\s*)[^\s&'\",;]+"
)


_SECRET_WORDS = ("bearer", "basic", "pst_", "authorization", "cookie", "postal_session", "password", "csrf")
"""Every match of :data:`_SECRETS` contains one of these (in any case): a line without them needs no regex."""


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``[redacted]``."""
    lowered = text.lower()
    if not any(word in lowered for word in _SECRET_WORDS):
        return text  # most lines: the scan costs a tenth of the regex
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
        elif record.exc_text:  # formatted before it crossed the queue (see BufferedHandler)
            entry["exc"] = record.exc_text
        return redact(orjson.dumps(entry, default=str).decode())


class BufferedHandler(logging.handlers.QueueHandler):
    """Hands records to the writer thread: the event loop never waits on a slow or full stderr.

    Unlike the stock ``prepare`` (which flattens the record with a plain formatter), the message is
    rendered and the traceback formatted here, and the ``extra`` fields are kept for the JSON line.
    """

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        record.stack_info = None
        return record


FLUSH_SECONDS = 0.2
"""How often the writer thread wakes to write what was queued."""


class BatchWriter(threading.Thread):
    """Formats and writes the queued records every :data:`FLUSH_SECONDS`, all in one write.

    The stock ``QueueListener`` blocks on the queue, so every record wakes it and the event loop
    hands it the GIL (a futex wake-up and a thread switch per access line, and up to a 5 ms switch
    interval of waiting on a busy loop). Polling five times a second costs a put per record and five
    short wake-ups a second, whatever the request rate. :meth:`stop` writes what is still queued.
    """

    def __init__(self, records: queue.SimpleQueue[logging.LogRecord], target: logging.StreamHandler[TextIO]
                 ) -> None:
        super().__init__(name="postal-log-writer", daemon=True)
        self._records, self._target = records, target
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(FLUSH_SECONDS):
            self.drain()
        self.drain()

    def drain(self) -> None:
        lines: list[str] = []
        while True:
            try:
                record = self._records.get_nowait()
            except queue.Empty:
                break
            try:
                lines.append(self._target.format(record) + self._target.terminator)
            except Exception:
                self._target.handleError(record)
        if lines:
            # stderr gone (a closed pipe): there is nowhere else to say so
            with self._target.lock or contextlib.nullcontext(), contextlib.suppress(OSError, ValueError):
                self._target.stream.write("".join(lines))
                self._target.flush()

    def stop(self) -> None:
        self._stopping.set()
        self.join()


_writer: BatchWriter | None = None


def _stop_listener() -> None:
    """Write what is still queued (at exit, or before a new configuration)."""
    global _writer
    if _writer is not None:
        _writer.stop()
        _writer = None


def configure(level: str = "INFO", *, buffered: bool = True) -> None:
    """Send every log record to stderr as JSON lines; ``buffered``: written by a thread, off the event loop."""
    global _writer
    _stop_listener()
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(JsonFormatter())
    handler: logging.Handler = stream
    if buffered:
        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        handler = BufferedHandler(records)
        _writer = BatchWriter(records, stream)
        _writer.start()
    handler.addFilter(SecretFilter())  # before the queue: it needs the exception object
    # No line carries the caller's file and line, thread or process: skip gathering them (a stack walk
    # and three lookups per record; logging's documented optimisation).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # its start-up chatter, not ours


atexit.register(_stop_listener)
