"""Add up the JUnit XML reports of one `scripts/test` run into one closing line."""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(report_dir: Path) -> int:
    total = failed = skipped = 0
    for report in sorted(report_dir.glob("*.xml")):
        root = ET.parse(report).getroot()  # noqa: S314 (our own runners wrote these files)
        suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
        for suite in suites:
            total += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped += int(suite.get("skipped", 0))
    passed = total - failed - skipped
    print(f"\ntotal: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
