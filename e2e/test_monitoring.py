"""The monitoring configuration, checked offline with Prometheus's own promtool: the
config and rules load, every alert is unit-tested both firing and silent, and every alert
links to its runbook, a section of docs/runbooks.md with its checks for Compose and Swarm."""

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.docs_map import lychee
from support.paths import PROMTOOL, ROOT
from support.runbooks import RUNBOOKS, alert_rules, sections

PROMETHEUS = ROOT / "monitoring" / "prometheus"
ALERTMANAGER = ROOT / "monitoring" / "alertmanager"
# Alertmanager's checker, from Debian's prometheus-alertmanager package, beside promtool.
AMTOOL = PROMTOOL.with_name("amtool")
RULE_FILES = sorted(PROMETHEUS.glob("rules/*.yml"))
ALERTS = {
    "BackendDown",
    "DatabaseUnavailable",
    "DatabaseOverloaded",
    "PostgresVolumeAlmostFull",
    "PostgresVolumeNotMeasured",
    "PostgresVolumeFillingUp",
    "ApiAvailabilityFastBurn",
    "ApiAvailabilitySlowBurn",
    "ApiLatencyFastBurn",
    "ApiLatencySlowBurn",
}


def promtool(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROMTOOL), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def promtool_ok(*args: str) -> str:
    result = promtool(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_the_prometheus_config_and_its_rules_are_valid() -> None:
    config = promtool_ok("check", "config", "prometheus.yml")
    rules = promtool_ok("check", "rules", *map(str, RULE_FILES))
    print("\n" + config + rules)

    assert f"{len(RULE_FILES)} rule files found" in config
    assert rules.count("SUCCESS") == len(RULE_FILES) == 3


def test_the_alert_rules_pass_their_unit_tests() -> None:
    output = promtool_ok("test", "rules", *map(str, sorted(PROMETHEUS.glob("tests/*.yml"))))
    print("\n" + output)
    assert output.count("SUCCESS") == 2


def test_every_alert_is_tested_firing_and_silent() -> None:
    alerts = {rule["alert"] for rule in alert_rules()}
    firing: set[str] = set()
    silent: set[str] = set()
    for path in PROMETHEUS.glob("tests/*.yml"):
        for test in load(path)["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else silent).add(case["alertname"])

    assert alerts == ALERTS
    assert alerts - firing == set(), "alerts never tested firing"
    assert alerts - silent == set(), "alerts never tested silent"


def test_every_alert_says_how_bad_and_what_to_do() -> None:
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["description"], rule["alert"]
        assert "for" in rule, f"{rule['alert']} would fire on a single bad sample"


def runbook_link_problems(rules: Path, root: Path) -> list[str]:
    """Each alert of `rules` without a runbook_url, or whose runbook_url (relative to
    `root`) is not docs/runbooks.md#<its name, lower case>, or does not resolve to a
    heading of that page (lychee, as for every link of the docs)."""
    problems, links = [], []
    for rule in alert_rules(rules):
        url = rule["annotations"].get("runbook_url")
        if not url:
            problems.append(f"{rule['alert']}: no runbook_url")
        elif url != f"docs/runbooks.md#{rule['alert'].lower()}":
            problems.append(f"{rule['alert']}: runbook_url {url} is not its own section")
        else:
            links.append(f"- [{rule['alert']}]({url})")
    page = root / "runbook-links.md"
    page.write_text("\n".join(links) + "\n")
    result = lychee([page])
    if result.returncode != 0:
        problems.append(f"unresolved runbook links:\n{result.stdout}{result.stderr}")
    return problems


def test_every_alert_links_to_its_section_of_the_runbooks(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    shutil.copy(RUNBOOKS, tmp_path / "docs" / "runbooks.md")

    assert runbook_link_problems(PROMETHEUS / "rules", tmp_path) == []


def test_an_alert_without_a_runbook_or_with_a_broken_link_is_caught(tmp_path: Path) -> None:
    # Given a copy of the rules: one alert without runbook_url, and a runbook page without
    # another alert's section
    rules = tmp_path / "rules"
    shutil.copytree(PROMETHEUS / "rules", rules)
    text = (rules / "alerts.yml").read_text()
    (rules / "alerts.yml").write_text(
        text.replace("          runbook_url: docs/runbooks.md#backenddown\n", "", 1)
    )
    (tmp_path / "docs").mkdir()
    page = RUNBOOKS.read_text().replace("## DatabaseOverloaded", "## Database overload")
    (tmp_path / "docs" / "runbooks.md").write_text(page)
    # When the links are checked
    problems = runbook_link_problems(rules, tmp_path)
    print("\n" + "\n".join(problems))
    # Then both are named
    assert problems[0] == "BackendDown: no runbook_url"
    assert "runbooks.md#databaseoverloaded" in problems[-1]
    assert len(problems) == 2


# Options of `docker compose` subcommands, in the runbooks, that take a value.
COMPOSE_OPTIONS_WITH_VALUE = {"--tail", "--since", "--index"}


def compose_services_named(command: str) -> list[str]:
    """The service each `docker compose SUBCOMMAND [options] SERVICE` of `command` names
    (docker compose ps and logs accept a service that does not exist, silently)."""
    words = [word.rstrip(")") for word in shlex.split(command)]
    named = []
    for index, word in enumerate(words[:-1]):
        if not (word.endswith("docker") and words[index + 1] == "compose"):
            continue
        arguments = iter(words[index + 3 :])
        for argument in arguments:
            if argument in COMPOSE_OPTIONS_WITH_VALUE:
                next(arguments)
            elif argument == "|":
                break
            elif not argument.startswith("-"):
                named.append(argument)
                break
    return named


def test_every_runbook_has_its_parts_and_commands_for_compose_and_swarm() -> None:
    """Each alert's section says what users see, the first three checks (a command each
    for Compose, and for Swarm unless the alert cannot fire there), the usual causes and
    how to confirm recovery; every service it names is one of the compose file's, or of
    the Swarm stack's."""
    found = sections()
    compose_services = set(load(ROOT / "docker-compose.yml")["services"])
    swarm_services = set(load(ROOT / "deploy" / "swarm" / "stack.yml")["services"])
    for alert in ALERTS:
        section = found[alert]
        for part in ("What it means for users.", "First three checks.", "Usual causes."):
            assert f"**{part}**" in section.text, f"{alert}: no {part}"
        assert "**Recovery.**" in section.text, f"{alert}: no recovery"
        assert len(section.blocks["Compose"]) >= 3, f"{alert}: fewer than 3 Compose checks"
        if "cannot fire there" not in section.text:
            assert len(section.blocks["Swarm"]) >= 3, f"{alert}: fewer than 3 Swarm checks"
        named = set(re.findall(r"\btasks_([a-z-]+)\b", "\n".join(section.blocks.get("Swarm", []))))
        assert named <= swarm_services, f"{alert}: not services of the Swarm stack: {named}"
        for command in section.blocks["Compose"]:
            services = set(compose_services_named(command))
            assert services <= compose_services, f"{alert}: no such service in {command}"


def test_a_runbook_naming_a_service_that_does_not_exist_is_caught() -> None:
    assert compose_services_named("docker compose ps --all backnd") == ["backnd"]
    assert compose_services_named("docker compose logs --tail 50 db | grep x") == ["db"]
    assert compose_services_named("docker stats --no-stream $(docker compose ps -q)") == []


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert AMTOOL.exists(), f"{AMTOOL} is missing (from Debian's prometheus-alertmanager)"
    return subprocess.run(
        [str(AMTOOL), *args], cwd=ALERTMANAGER, capture_output=True, text=True, timeout=60
    )


def test_alertmanagers_notifications_carry_each_alerts_summary_and_runbook(
    tmp_path: Path,
) -> None:
    """The config is valid (its templates parse), and the notification text of
    templates/notifications.tmpl, rendered for every alert of the rules as Prometheus
    sends it, has each alert's summary and its runbook link."""
    check = amtool("check-config", "alertmanager.yml")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "1 templates" in check.stdout
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": rule["alert"], **rule["labels"]},
            "annotations": rule["annotations"],
            "startsAt": "2026-12-07T06:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:9090/graph",
        }
        for rule in alert_rules()
    ]
    data = tmp_path / "data.json"
    data.write_text(
        json.dumps(
            {
                "receiver": "on-call",
                "status": "firing",
                "alerts": alerts,
                "groupLabels": {},
                "commonLabels": {"alertname": "BackendDown"},
                "commonAnnotations": {},
                "externalURL": "http://127.0.0.1:9093",
            }
        )
    )
    templates = ("--template.glob=templates/*.tmpl", f"--template.data={data}")
    title = amtool(
        "template", "render", *templates, '--template.text={{ template "tasks.title" . }}'
    )
    text = amtool("template", "render", *templates, '--template.text={{ template "tasks.text" . }}')
    print(f"\n{title.stdout}\n{text.stdout[:600]}")

    assert title.stdout.strip() == f"[FIRING:{len(alerts)}] BackendDown"
    for alert in alerts:
        summary, runbook = alert["annotations"]["summary"], alert["annotations"]["runbook_url"]
        assert (
            f"{alert['labels']['alertname']} ({alert['labels']['severity']}, firing): {summary}\n"
            in text.stdout
        )
        assert f"Runbook: {runbook}\n" in text.stdout


# Rules broken on purpose: (what is broken, the text replaced, its replacement, the
# promtool test that must then fail).
BREAKAGES = [
    (
        "BackendDown made to need 10 minutes",
        "    for: 1m\n",
        "    for: 10m\n",
        "BackendDown fires once no replica has answered for 1 minute",
    ),
    (
        "the page's long window dropped (5 minutes alone)",
        'slo:sli_error:ratio_rate1h{slo="api-availability"}',
        'slo:sli_error:ratio_rate5m{slo="api-availability"}',
        "A 2-minute outage after half a day of traffic pages nobody and tickets nobody",
    ),
    (
        "the probes counted as API traffic",
        ', route!~"/api/health(/.*)?"',
        "",
        "Failing probes and scrapes beside a healthy API page nobody",
    ),
    (
        "the ticket's threshold at the page's",
        'ratio_rate6h{slo="api-latency"} > on (slo) group_left () slo:error_budget',
        'ratio_rate6h{slo="api-latency"} > on (slo) group_left () 6 * slo:error_budget',
        "Two percent of list and create requests slow for hours tickets, and never pages",
    ),
    (
        "the latency threshold at the wrong bucket",
        'le="0.5"',
        'le="1"',
        "Every list request slow after an hour pages within minutes, then tickets",
    ),
]


@pytest.mark.parametrize(
    ("breakage", "old", "new", "test"), BREAKAGES, ids=[breakage[0] for breakage in BREAKAGES]
)
def test_a_broken_rule_fails_its_unit_test(
    tmp_path: Path, breakage: str, old: str, new: str, test: str
) -> None:
    """The unit tests can fail: each breakage of a rule is caught by the test named (run
    alone, from a copy of its file, so that this stays quick)."""
    copy = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS, copy)
    (path,) = [path for path in (copy / "rules").glob("*.yml") if old in path.read_text()]
    path.write_text(path.read_text().replace(old, new))
    for tests in (copy / "tests").glob("*.yml"):
        suite = load(tests)
        suite["tests"] = [case for case in suite["tests"] if case["name"] == test]
        tests.write_text(yaml.safe_dump(suite))
    result = promtool("test", "rules", *map(str, sorted((copy / "tests").glob("*.yml"))), cwd=copy)
    print(f"\n{breakage}: caught by {test!r}")
    assert result.returncode != 0
    assert test in result.stdout + result.stderr


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
    the ones docker compose uses, every one of them."""
    (tmp_path / "rules").mkdir()
    config = tmp_path / "prometheus.yml"
    config.write_text((ROOT / "deploy" / "swarm" / "prometheus.yml").read_text())
    stack = load(ROOT / "deploy" / "swarm" / "stack.yml")
    for mount in stack["services"]["prometheus"]["configs"]:
        source = ROOT / "deploy" / "swarm" / stack["configs"][mount["source"]]["file"]
        if mount["target"].startswith("/etc/prometheus/rules/"):
            assert source.resolve().parent == (PROMETHEUS / "rules").resolve()
            assert mount["target"] == f"/etc/prometheus/rules/{source.name}"
            (tmp_path / "rules" / source.name).write_text(source.read_text())

    output = promtool_ok("check", "config", str(config))
    backend = next(job for job in load(config)["scrape_configs"] if job["job_name"] == "backend")
    print("\n" + output)
    assert sorted(path.name for path in (tmp_path / "rules").iterdir()) == [
        path.name for path in RULE_FILES
    ]
    assert f"{len(RULE_FILES)} rule files found" in output
    assert backend["dns_sd_configs"][0]["names"] == ["tasks.backend"]
    # and Alertmanager has its notification text
    templates = {
        mount["target"]
        for mount in stack["services"]["alertmanager"]["configs"]
        if mount["target"].startswith("/etc/alertmanager/templates/")
    }
    assert templates == {
        f"/etc/alertmanager/templates/{path.name}"
        for path in (ALERTMANAGER / "templates").glob("*.tmpl")
    }
