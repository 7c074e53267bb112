"""Write the dashboards, or check them.

    python -m builder                     write ../dashboards/*.json from the code
    python -m builder --check             fail if a committed file differs from the code's
                                          output, or does not survive the SDK's round trip
    python -m builder --round-trip DIR    only the round trip, on DIR/*.json
    python -m builder --layout NAME       the picture of dashboards/NAME.json's layout

The round trip reads each JSON file into the SDK's dashboard model (generated from
Grafana's schema) and writes it out again: a key the schema does not know, such as a
misspelt one, is dropped on the way, and is missing from the result. (Keys the SDK adds,
its defaults, are not a difference.) The type check against @grafana/schema, Grafana's
published types, is the other half: monitoring/grafana/schema-check."""

import argparse
import difflib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel
from grafana_foundation_sdk.models.dashboard import Panel, RowPanel

from . import layout, nginx, overview, postgresql
from .common import Dashboard

DASHBOARDS = Path(__file__).resolve().parents[1] / "dashboards"
# File name (without .json) -> the function that builds it.
BUILDERS: dict[str, Callable[[], Dashboard]] = {
    "overview": overview.build,
    "postgresql": postgresql.build,
    "nginx": nginx.build,
}


# Keys the SDK writes on every template variable that Grafana's own schema has on none
# (@grafana/schema 13.2.3's VariableModel): left out of the files.
NOT_IN_GRAFANAS_SCHEMA = {"auto", "auto_min", "auto_count"}


def to_json(model: object) -> Any:
    return json.loads(json.dumps(model, cls=JSONEncoder))


def render(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def cleaned(data: dict[str, Any]) -> dict[str, Any]:
    for variable in data.get("templating", {}).get("list", []):
        for key in NOT_IN_GRAFANAS_SCHEMA:
            variable.pop(key, None)
    return data


def numbered(dashboard: DashboardModel) -> DashboardModel:
    """Each panel numbered in order (1, 2, ...): stable ids, for links to one panel."""
    number = 0
    for panel in dashboard.panels or []:
        inside: list[Panel] = panel.panels if isinstance(panel, RowPanel) else []
        for each in [panel, *inside]:
            number += 1
            each.id_val = number
    return dashboard


def generated() -> dict[str, str]:
    """File name -> the JSON text the code builds."""
    return {
        f"{name}.json": render(cleaned(to_json(numbered(build().build()))))
        for name, build in BUILDERS.items()
    }


def dropped(original: Any, after: Any, path: str = "$") -> list[str]:
    """Where `original` has something `after` lacks or holds otherwise (JSON paths)."""
    if isinstance(original, dict) and isinstance(after, dict):
        return [
            problem
            for key, value in original.items()
            for problem in (
                dropped(value, after[key], f"{path}.{key}")
                if key in after
                else [f"{path}.{key}: not in the schema (dropped by the round trip)"]
            )
        ]
    if isinstance(original, list) and isinstance(after, list) and len(original) == len(after):
        return [
            problem
            for index, (value, kept) in enumerate(zip(original, after, strict=True))
            for problem in dropped(value, kept, f"{path}[{index}]")
        ]
    return [] if original == after else [f"{path}: {original!r} came back as {after!r}"]


def differences(path: Path, expected: str, actual: str, what: str) -> list[str]:
    if expected == actual:
        return []
    diff = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), str(path), what, lineterm="", n=2
    )
    return ["\n".join(diff)]


def check_round_trip(directory: Path) -> list[str]:
    problems: list[str] = []
    files = sorted(directory.glob("*.json"))
    if not files:
        problems.append(f"no dashboards in {directory}")
    for path in files:
        data = json.loads(path.read_text())
        after = to_json(DashboardModel.from_json(data))
        problems += [f"{path}: {problem}" for problem in dropped(data, after)]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m builder", description=__doc__)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--check", action="store_true")
    action.add_argument("--round-trip", type=Path, metavar="DIR")
    action.add_argument("--layout", choices=sorted(BUILDERS), metavar="NAME")
    args = parser.parse_args()
    register_default_plugins()  # the panel and query types, for from_json

    if args.layout:
        print(layout.draw(json.loads((DASHBOARDS / f"{args.layout}.json").read_text())), end="")
        return 0
    if args.round_trip:
        problems = check_round_trip(args.round_trip)
    elif args.check:
        problems = []
        for name, text in generated().items():
            path = DASHBOARDS / name
            committed = path.read_text() if path.exists() else ""
            problems += differences(path, committed, text, "built by the code")
        problems += check_round_trip(DASHBOARDS)
    else:
        for name, text in generated().items():
            (DASHBOARDS / name).write_text(text)
        print(f"wrote {len(BUILDERS)} dashboards to {DASHBOARDS}")
        return 0
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("dashboards out of date or invalid: run scripts/dashboards", file=sys.stderr)
        return 1
    print("dashboards match their code and Grafana's schema (the SDK's round trip)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
