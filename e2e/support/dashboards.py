"""The Grafana dashboards' queries, read from their JSON (monitoring/grafana/dashboards/)
as Grafana would run them: every panel's PromQL with the template variables replaced by
their default values, and the metric selectors inside each."""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import promql_parser

from support.paths import ROOT

GRAFANA = ROOT / "monitoring" / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
# What Grafana puts for $__rate_interval with the data source's timeInterval (15 s, see
# monitoring/grafana/provisioning/datasources/prometheus.yml): four scrape intervals.
RATE_INTERVAL = "1m"
# label_values(metric, label), the query of a Prometheus template variable.
LABEL_VALUES = re.compile(r"label_values\((?P<metric>[^,]+),\s*(?P<label>\w+)\)")


@dataclass(frozen=True)
class PanelQuery:
    """One query of one panel: `expr` is what Grafana sends, variables replaced."""

    dashboard: str
    panel_id: int
    panel: str
    ref_id: str
    expr: str

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref_id}: {self.expr}"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def dashboard_files(directory: Path = DASHBOARDS) -> list[Path]:
    return sorted(directory.glob("*.json"))


def variable_values(dashboard: dict[str, Any]) -> dict[str, str]:
    """Variable name -> its default value as a query sees it ("All" is the allValue)."""
    values = {"__rate_interval": RATE_INTERVAL}
    for variable in dashboard.get("templating", {}).get("list", []):
        current = variable.get("current", {}).get("value")
        if current == "$__all":
            current = variable["allValue"]
        values[variable["name"]] = str(current)
    return values


def substitute(expr: str, values: dict[str, str]) -> str:
    """`expr` with $name and ${name} replaced; an unknown variable is an error."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"unknown variable ${name} in {expr}")
        return values[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, expr)


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel that shows data: rows left out, panels inside collapsed rows included."""
    found = []
    for panel in dashboard.get("panels", []):
        found += panel.get("panels", [])
        if panel["type"] != "row":
            found.append(panel)
    return found


def panel_queries(directory: Path = DASHBOARDS) -> list[PanelQuery]:
    queries = []
    for path in dashboard_files(directory):
        dashboard = load(path)
        values = variable_values(dashboard)
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                queries.append(
                    PanelQuery(
                        dashboard=dashboard["title"],
                        panel_id=panel["id"],
                        panel=panel["title"],
                        ref_id=target["refId"],
                        expr=substitute(target["expr"], values),
                    )
                )
    return queries


def variable_queries(directory: Path = DASHBOARDS) -> list[tuple[str, str, str]]:
    """(variable, metric, label) of each label_values() variable."""
    found = []
    for path in dashboard_files(directory):
        for variable in load(path).get("templating", {}).get("list", []):
            if variable["type"] == "query":
                match = LABEL_VALUES.fullmatch(variable["query"])
                assert match, f"{path.name}: ${variable['name']} is not label_values(): {variable}"
                found.append((variable["name"], match["metric"].strip(), match["label"]))
    return found


def selectors(expr: str) -> list[str]:
    """The metric selectors of `expr` as written, e.g. 'up{job="backend"}'."""
    found: list[str] = []

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(str(node))

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def metric_names(expr: str) -> set[str]:
    found: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            found.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found
