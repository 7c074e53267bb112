"""The Grafana dashboards, checked without a Grafana (none can run here): their JSON is
what their code builds, it is valid against Grafana's published schema (a broken copy is
not), every panel's PromQL parses with promtool, and every recording rule a panel reads
exists. That each query returns data from the real Prometheus is proven on the compose
stack (test_monitoring_stack.py)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from support.dashboards import DASHBOARDS, GRAFANA, metric_names, panel_queries, variable_queries
from support.paths import PROMTOOL, ROOT

SCHEMA_CHECK = GRAFANA / "schema-check"
RULE_FILES = sorted((ROOT / "monitoring" / "prometheus" / "rules").glob("*.yml"))


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which(command[0])
    assert executable, f"{command[0]} not found: scripts/test installs it into .tools/"
    return subprocess.run(
        [executable, *command[1:]], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def builder(*args: str) -> subprocess.CompletedProcess[str]:
    return run(["uv", "run", "--frozen", "python", "-m", "builder", *args], GRAFANA)


def type_check(directory: Path) -> subprocess.CompletedProcess[str]:
    return run(["bun", "check.ts", str(directory)], SCHEMA_CHECK)


def broken_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of the dashboards with the first `old` in `name` replaced by `new`."""
    copy = tmp_path / "dashboards"
    shutil.copytree(DASHBOARDS, copy)
    text = (copy / name).read_text()
    assert old in text
    (copy / name).write_text(text.replace(old, new, 1))
    return copy


def test_the_dashboards_are_the_json_their_code_builds() -> None:
    result = builder("--check")
    print("\n" + result.stdout + result.stderr)
    assert result.returncode == 0


def test_the_dashboards_are_valid_against_grafanas_published_types() -> None:
    result = type_check(DASHBOARDS)
    print("\n" + result.stdout + result.stderr)
    assert result.returncode == 0
    assert "3 dashboards valid against @grafana/schema" in result.stdout


@pytest.mark.parametrize(
    ("breakage", "name", "old", "new", "error"),
    [
        ("a misspelt key", "nginx.json", '"gridPos"', '"gridPosition"', "'\"gridPosition\"'"),
        (
            "a value outside an enum",
            "overview.json",
            '"mode": "absolute"',
            '"mode": "absolut"',
            "'\"absolut\"' is not assignable",
        ),
        ("a number as a string", "postgresql.json", '"h": 8', '"h": "8"', "'string' is not"),
        (
            "a stat panel without a required option",
            "overview.json",
            '"colorMode": "background",',
            "",
            "colorMode",
        ),
    ],
)
def test_a_broken_dashboard_fails_the_type_check(
    tmp_path: Path, breakage: str, name: str, old: str, new: str, error: str
) -> None:
    result = type_check(broken_copy(tmp_path, name, old, new))
    print(f"\n{breakage}: {result.stderr.splitlines()[0] if result.stderr else result.stdout}")
    assert result.returncode != 0
    assert error in result.stderr
    assert "NOT valid against @grafana/schema" in result.stderr


def test_a_misspelt_key_fails_the_sdk_round_trip(tmp_path: Path) -> None:
    result = builder("--round-trip", str(broken_copy(tmp_path, "nginx.json", '"unit"', '"units"')))
    print("\n" + result.stderr)
    assert result.returncode != 0
    assert ".units: not in the schema" in result.stderr


def promtool_check_rules(tmp_path: Path, exprs: list[str]) -> subprocess.CompletedProcess[str]:
    """promtool's parser on each expression, each written as a recording rule."""
    rules = [{"record": f"dashboard_query_{i}", "expr": expr} for i, expr in enumerate(exprs)]
    path = tmp_path / "panel-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    return subprocess.run(
        [str(PROMTOOL), "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )


def test_every_panel_query_parses_with_promtool(tmp_path: Path) -> None:
    queries = panel_queries()
    result = promtool_check_rules(tmp_path, [query.expr for query in queries])
    print(f"\n{len(queries)} panel queries: {result.stdout.strip()}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_promtool_rejects_a_panel_query_that_does_not_parse(tmp_path: Path) -> None:
    (query, *_) = panel_queries()
    result = promtool_check_rules(tmp_path, [query.expr + ")"])
    assert result.returncode != 0
    assert "parse error" in result.stdout + result.stderr


def test_every_recording_rule_a_dashboard_reads_is_defined() -> None:
    recorded = {
        rule["record"]
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }
    read = {name for query in panel_queries() for name in metric_names(query.expr)}
    read |= {metric for _, metric, _ in variable_queries()}
    # level:metric:operations, Prometheus's naming of recorded series
    from_rules = {name for name in read if re.fullmatch(r"\w+:\w+:\w+", name)}

    print(f"\nrecording rules the dashboards read: {sorted(from_rules)}")
    assert from_rules, "the dashboards read no recording rule"
    assert from_rules - recorded == set(), "not recorded by monitoring/prometheus/rules"


def test_the_docs_show_the_overview_layout_its_json_draws() -> None:
    """The picture in the monitoring docs is regenerated: scripts/dashboards --layout overview."""
    picture = builder("--layout", "overview").stdout
    pages = sorted((ROOT / "docs").rglob("*.md"))
    assert picture.count("\n") > 20
    assert [page for page in pages if picture in page.read_text()], (
        "no page of docs/ shows the overview's current layout:\n" + picture
    )
