"""Outside tools the browser and PDF tests need (Chromium, pdftoppm): skip with the reason where one is
missing, unless ``POSTAL_REQUIRE_BROWSER=1`` (CI sets it) makes that a failure, as README.md says."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_ENV = "POSTAL_REQUIRE_BROWSER"


def require_tool(command: str, install_hint: str) -> str:
    """The path of ``command``; a missing tool skips the test, or fails it when the run requires the tools."""
    path = shutil.which(command)
    if path:
        return path
    message = f"{command} not found ({install_hint})"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message}; {REQUIRE_ENV}=1 requires it")
    pytest.skip(message)
