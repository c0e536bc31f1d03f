"""API: labels (operations added by its own change)."""

from __future__ import annotations

from postal.api.openapi import Operation

OPERATIONS: list[Operation] = []
