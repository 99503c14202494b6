"""axe-core (vendored under tests/vendor/axe-core) run inside a page the driver shows: the violations a
user of a screen reader or keyboard would meet, at the impacts that block them."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] })
  .then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }))))
  .catch((e) => done([{ id: "axe-error", impact: "critical", help: String(e), nodes: [] }]));
"""


def blocking_violations(driver) -> list[dict]:
    """The page's serious and critical axe violations (rule id, help text, the first offending nodes)."""
    driver.execute_script(AXE.read_text())
    driver.set_script_timeout(60)
    return [v for v in driver.execute_async_script(_RUN) if v["impact"] in BLOCKING]


def console_errors(driver) -> list[str]:
    """Console errors logged since the last call (the driver keeps them once read)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
