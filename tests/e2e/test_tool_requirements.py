"""A missing Chromium or pdftoppm skips with the reason, or fails when POSTAL_REQUIRE_BROWSER=1 (README.md)."""

from __future__ import annotations

import pytest

from tests.e2e.tools import REQUIRE_ENV, require_tool

ABSENT = "postal-no-such-tool-3f9c"


def test_a_missing_tool_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"{ABSENT} not found \\(apt-get install x\\)"):
        require_tool(ABSENT, "apt-get install x")


@pytest.mark.parametrize("value", ["0", ""])
def test_only_the_value_1_requires_the_tools(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(REQUIRE_ENV, value)
    with pytest.raises(pytest.skip.Exception):
        require_tool(ABSENT, "apt-get install x")


def test_a_missing_tool_fails_when_the_run_requires_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{ABSENT} not found.*POSTAL_REQUIRE_BROWSER=1 requires it"):
        require_tool(ABSENT, "apt-get install x")


def test_a_present_tool_is_found() -> None:
    assert require_tool("sh", "always there").endswith("/sh")
