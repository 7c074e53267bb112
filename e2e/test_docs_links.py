"""The docs hold together: every relative link and anchor between the README and the
pages resolves (lychee, offline), and every page is on the README's map."""

import shutil
from pathlib import Path

from support.docs_map import lychee, map_pages
from support.paths import ROOT

DOCS_DIR = ROOT / "docs"


def pages(root: Path = ROOT) -> list[Path]:
    """The README, every page under docs/ and the folder READMEs on the map."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md")), *map_extras(root)]


def map_extras(root: Path) -> list[Path]:
    return [root / page for page in map_pages() if not page.startswith("docs/")]


def test_every_relative_link_and_anchor_resolves() -> None:
    result = lychee(pages())
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_link_or_anchor_is_caught(tmp_path: Path) -> None:
    # Given a copy of the docs with one link to a missing page and one to a missing anchor
    copy = tmp_path / "repo"
    shutil.copytree(DOCS_DIR, copy / "docs")
    for extra in ["README.md", *(page for page in map_pages() if not page.startswith("docs/"))]:
        (copy / extra).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / extra, copy / extra)
    readme = copy / "README.md"
    readme.write_text(
        readme.read_text()
        .replace("(docs/api.md)", "(docs/no-such-page.md)")
        .replace("(docs/docker.md)", "(docs/docker.md#no-such-heading)")
    )
    # When lychee checks it
    result = lychee(pages(copy))
    # Then it fails, naming both
    assert result.returncode != 0
    assert "no-such-page.md" in result.stdout
    assert "no-such-heading" in result.stdout


def test_every_page_is_on_the_map() -> None:
    on_map = set(map_pages())
    written = {str(page.relative_to(ROOT)) for page in DOCS_DIR.glob("*.md")}
    assert written - on_map == set(), "pages missing from the README's map"
    assert on_map - written - {str(page.relative_to(ROOT)) for page in map_extras(ROOT)} == set()


def test_the_readme_stays_a_hub() -> None:
    # A map and the first steps; everything else has a page of its own.
    assert (ROOT / "README.md").stat().st_size <= 6 * 1024
