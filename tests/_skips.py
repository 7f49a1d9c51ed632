"""A pytest plugin: one line at the end of a run saying how many tests were skipped and why,
grouped by reason (``skipped 14 tests: 6 no mpirun here ...; 3 no chromium here ...``).
tests/conftest.py loads it for the suite; ``pytest -p tests._skips`` for any other run."""
from __future__ import annotations

from collections import Counter


def _reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (file, line, "Skipped: why")
        why = str(longrepr[2])
    else:
        why = str(getattr(longrepr, "reprcrash", None) and longrepr.reprcrash.message or
                  longrepr or "")
    why = why.removeprefix("Skipped: ").strip()
    return " ".join(why.split()) or "no reason given"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if getattr(r, "when", "call") in ("setup", "call")]
    if not skipped:
        return
    reasons = Counter(_reason(r) for r in skipped)
    parts = [f"{n} {why}" for why, n in reasons.most_common()]
    terminalreporter.write_line(f"skipped {len(skipped)} test{'s' if len(skipped) != 1 else ''}"
                                f": {'; '.join(parts)}")
