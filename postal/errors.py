"""The one error tree of the service.

Every error a person can act on derives from :class:`PostalError`; the API
middleware turns each into an RFC 9457 ``application/problem+json`` answer with
the class's HTTP status. Messages are Vietnamese-first and never carry personal
data (names, phones, ID numbers, street lines).

PostalError
 ├── InvalidInput              422  bad field values (with field-level ``errors``)
 │    └── BadRequest           400  the request itself is malformed (JSON, size, encoding)
 ├── Unauthenticated           401  no or unknown credentials
 ├── Forbidden                 403  known user, role not allowed
 ├── NotFound                  404  no such thing, or not visible to this user
 ├── Conflict                  409  valid request, wrong state (lifecycle, duplicates)
 │    └── TransitionRefused    409  an event not allowed from the current status
 ├── VerificationFailed        422  wrong handover verification (counted)
 ├── Locked                    423  too many wrong verifications
 ├── MethodNotAllowed          405  the path exists, not with this HTTP method
 ├── RequestTimeout            408  the body did not arrive in time (slow client)
 ├── PayloadTooLarge           413  body over the configured limit
 ├── RateLimited               429  too many requests (``retry_after`` seconds)
 ├── ServiceUnavailable        503  the database cannot be reached (``retry_after`` seconds)
 └── MigrationError            500  the migration files and the database disagree (operators: ``postal migrate``)

The edge (:mod:`postal.edge`) renders each of them as problem+json under ``/api/`` and as a
Vietnamese HTML page everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One invalid field: a dotted path (``citizen.phone``) and a message."""

    field: str
    message: str


class PostalError(Exception):
    """Base of every error a client can act on."""

    status = 500
    title = "Lỗi hệ thống"
    type_slug = "internal"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class InvalidInput(PostalError):
    """A field has a value that cannot be accepted."""

    status = 422
    title = "Dữ liệu không hợp lệ"
    type_slug = "invalid-input"


class BadRequest(InvalidInput):
    """The request cannot be read at all (bad JSON, wrong encoding, bad query)."""

    status = 400
    title = "Yêu cầu không đọc được"
    type_slug = "bad-request"


class Unauthenticated(PostalError):
    """No credentials, or credentials we do not know."""

    status = 401
    title = "Chưa đăng nhập"
    type_slug = "unauthenticated"


class Forbidden(PostalError):
    """The user is known but its role may not do this."""

    status = 403
    title = "Không có quyền"
    type_slug = "forbidden"


class NotFound(PostalError):
    """No such resource, or one this user may not see."""

    status = 404
    title = "Không tìm thấy"
    type_slug = "not-found"


class Conflict(PostalError):
    """The request is valid but clashes with the current state."""

    status = 409
    title = "Xung đột trạng thái"
    type_slug = "conflict"


class TransitionRefused(Conflict):
    """A lifecycle event that the current status does not allow."""

    type_slug = "transition-refused"

    def __init__(self, detail: str, *, current: str, allowed: list[str]) -> None:
        super().__init__(detail)
        self.current = current
        self.allowed = allowed


class VerificationFailed(PostalError):
    """A wrong handover verification (ID digits or one-time code)."""

    status = 422
    title = "Xác minh người nhận không đúng"
    type_slug = "verification-failed"


class Locked(PostalError):
    """Too many wrong verifications: the handover is locked."""

    status = 423
    title = "Đã khoá xác minh"
    type_slug = "locked"


class MethodNotAllowed(PostalError):
    """The path exists but not with this HTTP method."""

    status = 405
    title = "Phương thức không được hỗ trợ"
    type_slug = "method-not-allowed"


class RequestTimeout(PostalError):
    """The client did not send its whole request body in time."""

    status = 408
    title = "Hết thời gian chờ dữ liệu"
    type_slug = "request-timeout"


class PayloadTooLarge(PostalError):
    """The request body is over the configured limit."""

    status = 413
    title = "Dữ liệu quá lớn"
    type_slug = "payload-too-large"


class RateLimited(PostalError):
    """Too many requests from one client in the current window."""

    status = 429
    title = "Quá nhiều yêu cầu"
    type_slug = "rate-limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceUnavailable(PostalError):
    """The database cannot be reached right now: try again after ``retry_after`` seconds."""

    status = 503
    title = "Dịch vụ tạm thời gián đoạn"
    type_slug = "unavailable"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class MigrationError(PostalError):
    """A migration file and the database disagree (edited after it was applied, or missing): an operator's fix."""

    status = 500
    title = "Lỗi cấu trúc cơ sở dữ liệu"
    type_slug = "migration"
