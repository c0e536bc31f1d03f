"""axe-core in Playwright: inject the vendored ``axe.min.js`` (tests/e2e/vendor, MPL-2.0) and list the
serious or critical violations of the current page. The browser context needs ``bypass_csp=True``: the
pages' strict CSP (no inline scripts) would otherwise refuse the injected script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


async def serious_violations(page: Any) -> list[str]:
    """``rule id: help (n nodes: first target)`` for every serious or critical axe violation."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
