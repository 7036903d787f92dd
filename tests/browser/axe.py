"""One accessibility check for every browser test: axe-core, through axe-playwright-python.

``assert_no_serious_violations(page)`` runs axe-core (the engine bundled with the
pinned ``axe-playwright-python``) on what the page shows now and fails on any
violation of impact "critical" or "serious", naming each rule and the elements it
found, so the failure says what to fix. "moderate" and "minor" findings are printed,
not failed: they are worth reading but not a release blocker (issue 14 §6).

axe-core is injected with ``page.evaluate`` (a DevTools call, not a page script), so
it runs under the strict Content-Security-Policy without a violation.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

FAILING_IMPACTS = ("critical", "serious")

_axe = Axe()


def _describe(violation: dict[str, Any]) -> str:
    nodes = violation.get("nodes", [])
    lines = [
        f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')} "
        f"[{len(nodes)} element(s)] {violation.get('helpUrl', '')}"
    ]
    for node in nodes[:8]:
        target = " ".join(str(t) for t in node.get("target", []))
        summary = (node.get("failureSummary") or "").replace("\n", " ")
        lines.append(f"    {target}: {summary[:300]}")
    return "\n".join(lines)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as it is now (all impacts)."""
    results = _axe.run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


def assert_no_serious_violations(page: Page) -> None:
    violations = axe_violations(page)
    failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
    others = [v for v in violations if v.get("impact") not in FAILING_IMPACTS]
    if others:
        print(f"axe on {page.url}: moderate/minor findings\n" + "\n".join(map(_describe, others)))
    assert not failing, (
        f"axe-core found {len(failing)} critical/serious violation(s) on {page.url}:\n"
        + "\n".join(map(_describe, failing))
    )
