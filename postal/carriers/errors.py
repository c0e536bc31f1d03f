"""What a carrier call can end in, besides an answer (not part of the API's error tree: no person sees these).

CarrierError
 ├── CarrierUnavailable   transient: timeout, connection refused, 5xx, 429 — retry later
 ├── CarrierAuthFailed    the operator refused our credentials (or a fresh token)
 ├── CarrierRejected      the operator refused the request itself (bad data): retrying will not help
 └── DuplicateOrder       the operator already holds an order with this saleOrderCode
"""

from __future__ import annotations


class CarrierError(Exception):
    """Base of every carrier failure; messages never carry personal data."""


class CarrierUnavailable(CarrierError):
    """The operator could not be reached or answered a transient error."""


class CarrierAuthFailed(CarrierError):
    """The operator refused our credentials."""


class CarrierRejected(CarrierError):
    """The operator refused the request itself."""


class DuplicateOrder(CarrierRejected):
    """An order with this saleOrderCode already exists at the operator."""
