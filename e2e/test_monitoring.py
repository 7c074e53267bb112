"""The monitoring configuration, checked offline with Prometheus's own promtool: the
config and rules load, and every alert is unit-tested both firing and silent."""

import subprocess
from pathlib import Path
from typing import Any

import yaml

from paths import PROMTOOL, ROOT

PROMETHEUS = ROOT / "monitoring" / "prometheus"


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
        "grafana",
    }
    assert set(compose["services"]) - monitoring == {"db", "backend", "frontend"}
    for name in monitoring:
        service = compose["services"][name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        # nobody, as in the images; Grafana's image has a user of its own
        assert service["user"] == ("472:0" if name == "grafana" else "65534:65534"), name
        assert service["deploy"]["resources"]["limits"]["memory"], name
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"


def test_grafana_has_no_login_and_so_no_default_password() -> None:
    """Grafana on 127.0.0.1 only, anonymous viewers, no login form, no admin user: no
    password exists to be guessed, default or not."""
    grafana = load(ROOT / "docker-compose.yml")["services"]["grafana"]
    environment = grafana["environment"]

    assert grafana["image"].startswith("${GRAFANA_IMAGE:-grafana/grafana:")
    assert grafana["ports"] == ["127.0.0.1:${GRAFANA_PORT:-3000}:3000"]
    assert environment["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert environment["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "${GRAFANA_ANONYMOUS_ROLE:-Viewer}"
    assert environment["GF_AUTH_DISABLE_LOGIN_FORM"] == "true"
    assert environment["GF_AUTH_BASIC_ENABLED"] == "false"
    assert environment["GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION"] == "true"
    assert not [key for key in environment if "PASSWORD" in key]
    assert grafana["healthcheck"]["test"][0] == "CMD"
    mounts = {volume.split(":")[1]: volume for volume in grafana["volumes"]}
    assert mounts["/etc/grafana/dashboards"].endswith(":ro")
    assert mounts["/var/lib/grafana"] == "grafana_data:/var/lib/grafana"


def test_the_swarm_stacks_prometheus_scrapes_each_backend_task_with_the_same_rules(
    tmp_path: Path,
) -> None:
    """deploy/swarm/prometheus.yml, laid out as the stack's configs mount it, is valid; it
    finds each backend replica through Swarm's DNS (tasks.backend), and its rule files are
    the ones docker compose uses."""
    (tmp_path / "rules").mkdir()
    config = tmp_path / "prometheus.yml"
    config.write_text((ROOT / "deploy" / "swarm" / "prometheus.yml").read_text())
    stack = load(ROOT / "deploy" / "swarm" / "stack.yml")
    for mount in stack["services"]["prometheus"]["configs"]:
        source = ROOT / "deploy" / "swarm" / stack["configs"][mount["source"]]["file"]
        if mount["target"].startswith("/etc/prometheus/rules/"):
            assert source.resolve().parent == (PROMETHEUS / "rules").resolve()
            (tmp_path / "rules" / source.name).write_text(source.read_text())

    output = promtool("check", "config", str(config))
    backend = next(job for job in load(config)["scrape_configs"] if job["job_name"] == "backend")
    print("\n" + output)
    assert "2 rule files found" in output
    assert backend["dns_sd_configs"][0]["names"] == ["tasks.backend"]
