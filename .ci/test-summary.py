"""The closing lines of a `scripts/test` run: where the time went, what failed, and every
runner's JUnit results added up.

    python3 .ci/test-summary.py REPORT_DIR [--times TIMES_TSV] [--logs LOG_DIR] [FAILED_PART ...]

TIMES_TSV has a line per step's start (epoch seconds, part, step), with "(start)" and
"(end)" lines around each part (scripts/test and `say` in scripts/lib.sh write it). A part
that failed without a failing test in its report (a linter, an install step) counts as one
failure, so that the last line never says 0 failed when something did, and the end of its
log (LOG_DIR/PART.log) is shown here: a run's last lines are often all a CI page keeps.
"""

import argparse
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

# Which JUnit reports each part of scripts/test writes.
REPORTS_OF_PART = {
    "backend": ["backend.xml"],
    "frontend": ["frontend.xml"],
    "checks": [],
    "e2e": ["e2e.xml"],
    "docker": ["stack.xml"],
    "swarm": ["swarm-nodes.xml", "swarm.xml"],
}
# Lines of a failure's message shown under its test's name: the assertion and what led to it.
FAILURE_LINES = 12
# Lines of a part's log shown when it failed outside its test runner.
LOG_LINES = 15


@dataclass
class Report:
    tests: int
    failed: int
    skipped: int
    failures: list[tuple[str, str]]  # (test name, message)


def read_report(path: Path) -> Report:
    root = ET.parse(path).getroot()  # our own runners wrote these files
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    failures = []
    for case in root.iter("testcase"):
        for problem in (*case.findall("failure"), *case.findall("error")):
            name = f"{case.get('classname', '')}::{case.get('name', '')}".lstrip(":")
            text = (problem.text or problem.get("message") or "").strip()
            failures.append((name, text))
    return Report(
        tests=sum(int(suite.get("tests", 0)) for suite in suites),
        failed=sum(
            int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            for suite in suites
        ),
        skipped=sum(int(suite.get("skipped", 0)) for suite in suites),
        failures=failures,
    )


def step_times(times: Path) -> list[tuple[str, str, float]]:
    """(part, step, seconds) for each step, in the order they ran."""
    rows = [
        line.split("\t", 2)
        for line in times.read_text().splitlines()
        if line.count("\t") >= 2
    ]
    steps = []
    # The parts run at once: their lines interleave, each part's in its own order.
    current: dict[str, tuple[str, float]] = {}
    for started, part, step in rows:
        if part in current:
            previous, since = current.pop(part)
            steps.append((part, previous, float(started) - since))
        if step != "(end)":
            current[part] = (step, float(started))
    return [
        (part, "(setup before the first step)" if step == "(start)" else step, seconds)
        for part, step, seconds in steps
        if seconds >= 0.05 or step != "(start)"
    ]


def print_times(times: Path) -> None:
    steps = step_times(times)
    if not steps:
        return
    print("\nWhere the time went (wall time, install steps included):")
    width = min(max(len(step) for _, step, _ in steps), 90)
    part_totals: dict[str, float] = {}
    for part, step, seconds in steps:
        part_totals[part] = part_totals.get(part, 0.0) + seconds
        print(f"  {part:<9} {step[:width]:<{width}} {seconds:7.1f} s")
    for part, seconds in part_totals.items():
        print(
            f"  {part:<9} {'TOTAL':<{width}} {seconds:7.1f} s  ({seconds / 60:.1f} min)"
        )
    stamps = [
        float(line.split("\t", 1)[0]) for line in times.read_text().splitlines() if line
    ]
    wall = max(stamps) - min(stamps)
    print(
        f"  {'all':<9} {'WALL TIME (the parts run at once)':<{width}} {wall:7.1f} s  ({wall / 60:.1f} min)"
    )


def main(
    report_dir: Path, times: Path | None, logs: Path | None, failed_parts: list[str]
) -> int:
    if times is not None and times.exists():
        print_times(times)
    reports = {
        path.name: read_report(path) for path in sorted(report_dir.glob("*.xml"))
    }
    for name, report in reports.items():
        for test, message in report.failures:
            print(f"\nFAILED {name}: {test}")
            print(
                "\n".join(
                    f"    {line}" for line in message.splitlines()[-FAILURE_LINES:]
                )
            )
    total = sum(report.tests for report in reports.values())
    failed = sum(report.failed for report in reports.values())
    skipped = sum(report.skipped for report in reports.values())
    passed = total - failed - skipped
    for part in failed_parts:
        if not any(
            reports.get(name) and reports[name].failed for name in REPORTS_OF_PART[part]
        ):
            failed += 1  # it failed outside its test runner: a linter, an install
            log = logs / f"{part}.log" if logs else None
            if log is not None and log.exists():
                tail = log.read_text(errors="replace").splitlines()[-LOG_LINES:]
                print(f"\nFAILED {part}, outside its tests; the end of {log.name}:")
                print("\n".join(f"    {line}" for line in tail))
    if failed_parts:
        print(f"\nfailed parts: {' '.join(failed_parts)} (their output above says why)")
    print(f"\ntotal: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("--times", type=Path)
    parser.add_argument("--logs", type=Path)
    parser.add_argument("failed_parts", nargs="*")
    arguments = parser.parse_intermixed_args()
    sys.exit(main(
            arguments.report_dir,
            arguments.times,
            arguments.logs,
            arguments.failed_parts,
        ))
