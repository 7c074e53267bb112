"""The monitoring configuration, checked offline with Prometheus's own promtool: the
config and rules load, and every alert is unit-tested both firing and silent."""

import subprocess
from pathlib import Path
from typing import Any

import yaml

from paths import ROOT

PROMETHEUS = ROOT / "monitoring" / "prometheus"
PROMTOOL = ROOT / ".tools" / "bin" / "promtool"  # from Debian's package (scripts/lib.sh)


def promtool(*args: str) -> str:
    result = subprocess.run(
        [str(PROMTOOL), *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_the_prometheus_config_and_its_rules_are_valid() -> None:
    config = promtool("check", "config", "prometheus.yml")
    rules = promtool("check", "rules", *sorted(map(str, PROMETHEUS.glob("rules/*.yml"))))
    print("\n" + config + rules)

    assert "2 rule files found" in config
    assert rules.count("SUCCESS") == 2


def test_the_alert_rules_pass_their_unit_tests() -> None:
    output = promtool("test", "rules", *map(str, sorted(PROMETHEUS.glob("tests/*.yml"))))
    print("\n" + output)
    assert "SUCCESS" in output


def test_every_alert_is_tested_firing_and_silent() -> None:
    alerts = {
        rule["alert"]
        for group in load(PROMETHEUS / "rules" / "alerts.yml")["groups"]
        for rule in group["rules"]
    }
    firing: set[str] = set()
    silent: set[str] = set()
    for path in PROMETHEUS.glob("tests/*.yml"):
        for test in load(path)["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else silent).add(case["alertname"])

    assert alerts == {
        "BackendDown",
        "HighErrorRatio",
        "HighLatencyP99",
        "DatabaseUnavailable",
        "DatabaseOverloaded",
        "PostgresVolumeAlmostFull",
        "PostgresVolumeNotMeasured",
        "PostgresVolumeFillingUp",
    }
    assert alerts - firing == set(), "alerts never tested firing"
    assert alerts - silent == set(), "alerts never tested silent"


def test_every_alert_says_how_bad_and_what_to_do() -> None:
    for group in load(PROMETHEUS / "rules" / "alerts.yml")["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
            assert rule["annotations"]["summary"], rule["alert"]
            assert rule["annotations"]["description"], rule["alert"]
            assert "for" in rule, f"{rule['alert']} would fire on a single bad sample"


def test_a_broken_alert_fails_its_unit_test(tmp_path: Path) -> None:
    """The unit tests can fail: BackendDown made to need 10 minutes is caught."""
    copy = tmp_path / "prometheus"
    subprocess.run(["cp", "-r", str(PROMETHEUS), str(copy)], check=True)
    rules = copy / "rules" / "alerts.yml"
    text = rules.read_text()
    assert "for: 1m" in text
    rules.write_text(text.replace("for: 1m", "for: 10m", 1))
    result = subprocess.run(
        [str(PROMTOOL), "test", "rules", "tests/alerts.test.yml"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "BackendDown" in result.stdout + result.stderr


def test_monitoring_is_a_profile_the_default_stack_does_not_start() -> None:
    compose = load(ROOT / "docker-compose.yml")
    monitoring = {
        name
        for name, service in compose["services"].items()
        if "monitoring" in service.get("profiles", [])
    }

    assert monitoring == {
        "prometheus",
        "alertmanager",
        "nginx-exporter",
        "postgres-exporter",
        "volume-exporter",
    }
    assert set(compose["services"]) - monitoring == {"db", "backend", "frontend"}
    for name in monitoring:
        service = compose["services"][name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert service["user"] == "65534:65534", name
        assert service["deploy"]["resources"]["limits"]["memory"], name
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"
