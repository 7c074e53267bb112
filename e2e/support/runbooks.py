"""The alert rules (monitoring/prometheus/rules/) and their runbooks (docs/runbooks.md):
each alert's section, and the shell blocks of its checks, for Compose and for Swarm.

A block's kind is in the comment above it, which also keeps it out of the README test:
`<!-- readme-test: skip (runbook, Compose: ...) -->`, or `(runbook, Swarm: ...)`."""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from support.paths import ROOT

RULES = ROOT / "monitoring" / "prometheus" / "rules"
RUNBOOKS = ROOT / "docs" / "runbooks.md"
_BLOCK_KIND = re.compile(r"<!-- readme-test: skip \(runbook, (Compose|Swarm):")


@dataclass
class Section:
    """One `## Heading` of the runbook page: its text and its Compose and Swarm blocks."""

    heading: str
    text: str = ""
    blocks: dict[str, list[str]] = field(default_factory=dict)


def alert_rules(directory: Path = RULES) -> list[dict[str, Any]]:
    """Every alerting rule of every rule file, in file order."""
    return [
        rule
        for path in sorted(directory.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def sections(page: Path = RUNBOOKS) -> dict[str, Section]:
    """Heading -> section; the blocks (one command a line) by kind, "Compose" or "Swarm",
    those before the first alert's section under its own heading."""
    found: dict[str, Section] = {}
    current = Section("")
    lines = page.read_text().splitlines()
    index, kind = 0, None
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            current = found.setdefault(line[3:], Section(line[3:]))
        elif mark := _BLOCK_KIND.match(line):
            kind = mark.group(1)
        elif line.startswith("```") and kind:
            end = lines.index("```", index + 1)
            current.blocks.setdefault(kind, []).extend(lines[index + 1 : end])
            index, kind = end, None
        current.text += line + "\n"
        index += 1
    return found


def commands(kind: str, page: Path = RUNBOOKS) -> list[str]:
    """Every command line of the page's blocks of `kind`, in order."""
    return [
        command for section in sections(page).values() for command in section.blocks.get(kind, [])
    ]
