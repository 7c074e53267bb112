"""The closing line of a `scripts/test` run: every runner's JUnit results added up.

    python3 scripts/test-summary.py REPORT_DIR [FAILED_PART ...]

A part that failed without a failing test in its report (a linter, an install step)
counts as one failure, so that the line never says 0 failed when something did.
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

# Which JUnit reports each part of scripts/test writes.
REPORTS_OF_PART = {
    "backend": ["backend.xml"],
    "frontend": ["frontend.xml"],
    "e2e": ["e2e.xml"],
    "docker": ["stack.xml"],
}


def counts(report: Path) -> tuple[int, int, int]:
    """(tests, failed, skipped) in one JUnit report."""
    root = ET.parse(report).getroot()  # noqa: S314 (our own runners wrote these files)
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = sum(int(suite.get("tests", 0)) for suite in suites)
    failed = sum(int(suite.get("failures", 0)) + int(suite.get("errors", 0)) for suite in suites)
    skipped = sum(int(suite.get("skipped", 0)) for suite in suites)
    return total, failed, skipped


def main(report_dir: Path, failed_parts: list[str]) -> int:
    results = {report.name: counts(report) for report in sorted(report_dir.glob("*.xml"))}
    total = sum(result[0] for result in results.values())
    failed = sum(result[1] for result in results.values())
    skipped = sum(result[2] for result in results.values())
    for part in failed_parts:
        reports = [results.get(name) for name in REPORTS_OF_PART.get(part, [])]
        if not any(report and report[1] for report in reports):
            failed += 1
    passed = total - sum(result[1] for result in results.values()) - skipped
    print(f"\ntotal: {passed} passed, {failed} failed, {skipped} skipped")
    if failed_parts:
        print(f"failed parts: {' '.join(failed_parts)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
