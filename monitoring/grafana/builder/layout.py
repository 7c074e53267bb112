"""A dashboard's layout as a text picture, drawn from its JSON (gridPos of each panel):
what the docs show, since no Grafana runs where the docs are checked.

Grafana's grid is 24 columns wide; here a column is 4 characters. A row header is one
line; a panel of height h (grid units, 30 px each) is h / 2 + 3 lines: its title,
wrapped, then its type and unit."""

import itertools
import textwrap
from typing import Any

COLUMN = 4
WIDTH = 24 * COLUMN


def _lines(height: int) -> int:
    return 1 if height == 1 else height // 2 + 3


def draw(dashboard: dict[str, Any]) -> str:
    """The picture of `dashboard` (its JSON, as Grafana loads it), title first."""
    panels: list[dict[str, Any]] = dashboard.get("panels", [])
    grids = [panel["gridPos"] for panel in panels]
    edges = sorted({grid["y"] for grid in grids} | {grid["y"] + grid["h"] for grid in grids})
    line_of = {edges[0]: 0}
    for before, after in itertools.pairwise(edges):
        line_of[after] = line_of[before] + _lines(after - before)
    canvas = [[" "] * WIDTH for _ in range(line_of[edges[-1]])]

    def put(line: int, column: int, text: str) -> None:
        for offset, char in enumerate(text):
            canvas[line][column + offset] = char

    for panel in panels:
        grid = panel["gridPos"]
        top, bottom = line_of[grid["y"]], line_of[grid["y"] + grid["h"]] - 1
        left, inner = grid["x"] * COLUMN, grid["w"] * COLUMN - 2
        if panel["type"] == "row":
            put(top, left, f"━━ {panel['title']} ".ljust(inner + 2, "━"))
            continue
        put(top, left, "┌" + "─" * inner + "┐")
        for line in range(top + 1, bottom):
            put(line, left, "│" + " " * inner + "│")
        put(bottom, left, "└" + "─" * inner + "┘")
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
        text = [*textwrap.wrap(panel["title"], inner - 2), f"{panel['type']}, {unit}"]
        for line, words in enumerate(text[: bottom - top - 1], start=top + 1):
            put(line, left + 2, words[: inner - 2])
    body = "\n".join("".join(line).rstrip() for line in canvas)
    return f"{dashboard['title']}\n{body}\n"
