"""`docker compose --profile monitoring up -d` for real, on the run's compose stack:
Prometheus scrapes every tier, sees the traffic, the backend-down alert fires when the
backend stops, every query of every Grafana dashboard returns data after traffic and
a database outage, and every Compose command of the runbooks (docs/runbooks.md) runs.
Intervals are shortened for the test only (2 s, and `for: 10s`).

The profile's services whose image this machine has are started: all but Grafana here
(no registry answers and no stand-in can be built, see docker-compose.yml); where its
image can be pulled, Grafana is started too and its provisioned dashboards are checked."""

import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.network import free_port
from harness.polling import poll
from incidents import shorten_intervals

from stacks.compose import ComposeStack, pids_by_service, startable_services
from support.dashboards import PanelQuery, panel_queries, selectors, variable_queries
from support.paths import ROOT
from support.runbooks import commands

pytestmark = pytest.mark.stack

JOBS = {"backend", "nginx", "postgres", "postgres-volume", "alertmanager", "prometheus"}
INTERVAL = "2s"
FOR = 10  # seconds, in place of each alert's `for:`


class Monitoring:
    def __init__(self, stack: ComposeStack, config: Path) -> None:
        self.stack = stack
        self.prometheus = f"http://127.0.0.1:{free_port()}"
        self.alertmanager = f"http://127.0.0.1:{free_port()}"
        self.grafana = f"http://127.0.0.1:{free_port()}"
        override = config / "compose.override.yaml"
        # The test's copy of the config in place of the repository's.
        override.write_text(
            "services:\n  prometheus:\n    volumes:\n"
            f"      - {config / 'prometheus'}:/etc/prometheus:ro\n"
            "      - prometheus_data:/prometheus\n"
        )
        self.env = {
            **stack.env,
            "PROMETHEUS_PORT": self.prometheus.rsplit(":", 1)[1],
            "ALERTMANAGER_PORT": self.alertmanager.rsplit(":", 1)[1],
            "GRAFANA_PORT": self.grafana.rsplit(":", 1)[1],
        }
        self.files = ["-f", str(ROOT / "docker-compose.yml"), "-f", str(override)]
        self.services, self.left_out = startable_services(
            self.env, "--project-name", stack.project, *self.files, profile="monitoring"
        )

    def compose(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.stack.compose(
            *self.files, "--profile", "monitoring", *args, check=False, env=self.env
        )

    def remove(self) -> None:
        """The monitoring services, their volume and network: the stack as it was."""
        self.compose("rm", "--stop", "--force", "--volumes", *self.services)
        project = self.stack.project
        volumes = (("volume", "prometheus_data"), ("volume", "grafana_data"))
        for kind, name in (*volumes, ("network", "monitoring")):
            subprocess.run(
                ["docker", kind, "rm", f"{project}_{name}"], capture_output=True, check=False
            )

    def query(self, promql: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": promql})
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result

    def alerts(self) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = httpx.get(f"{self.prometheus}/api/v1/alerts").json()["data"][
            "alerts"
        ]
        return alerts


def fast_config(into: Path) -> Path:
    """A copy of monitoring/ with 2 s intervals and every `for:` at 10 s."""
    shutil.copytree(ROOT / "monitoring", into)
    shorten_intervals(into / "prometheus" / "prometheus.yml", INTERVAL)
    for rules in (into / "prometheus" / "rules").glob("*.yml"):
        rules.write_text(re.sub(r"for: \w+", f"for: {FOR}s", rules.read_text()))
    # Prometheus runs as nobody: it must read them.
    for path in [into, *into.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return into


@pytest.fixture(scope="module")
def monitoring(compose_app: ComposeStack) -> Iterator[Monitoring]:
    compose_app.compose("up", "--detach", "--wait")
    with tempfile.TemporaryDirectory(prefix="tasks-monitoring-") as directory:
        work = Path(directory)
        work.chmod(0o755)  # Prometheus runs as nobody: it must reach the copy below
        running = Monitoring(compose_app, fast_config(work / "monitoring"))
        try:
            started = time.monotonic()
            services = running.services
            result = running.compose("up", "--detach", "--wait", "--wait-timeout", "180", *services)
            logs = running.compose("logs", "--tail", "30", *services).stdout
            assert result.returncode == 0, result.stderr + logs
            print(f"\nMonitoring profile up and healthy in {time.monotonic() - started:.0f} s")
            for name, image in running.left_out.items():
                print(f"NOT STARTED: {name} (no image {image} on this engine)")
            yield running
        finally:
            running.remove()


def test_every_target_is_up(monitoring: Monitoring) -> None:
    def all_up() -> dict[str, float] | None:
        up = {
            sample["metric"]["job"]: float(sample["value"][1]) for sample in monitoring.query("up")
        }
        return up if set(up) == JOBS and set(up.values()) == {1.0} else None

    started = time.monotonic()
    up = poll(all_up, within=60, what="every Prometheus target up", every=1)
    print(f"\nup == 1 for {sorted(up)} after {time.monotonic() - started:.0f} s")
    (nginx,) = monitoring.query("nginx_up")
    assert nginx["value"][1] == "1"
    (postgres,) = monitoring.query("pg_up")
    assert postgres["value"][1] == "1"
    (volume,) = monitoring.query(
        'node_filesystem_size_bytes{mountpoint="/var/lib/postgresql/data"}'
    )
    assert float(volume["value"][1]) > 0


def test_every_monitoring_container_runs_under_its_pids_limit(monitoring: Monitoring) -> None:
    """The engine set each monitoring container's PIDs limit from compose's (CIS 5.29);
    each Go program, held to one scheduler thread (GOMAXPROCS), runs at most half of it."""
    config = json.loads(monitoring.compose("config", "--format", "json").stdout)
    running = pids_by_service(monitoring.stack.project)

    print(f"\nPIDs (limit, now): {running}")
    assert set(monitoring.services) <= set(running)
    for service in monitoring.services:
        limit, now = running[service]
        assert limit == config["services"][service]["deploy"]["resources"]["limits"]["pids"]
        assert 0 < now <= limit // 2, service


def test_traffic_through_nginx_shows_in_the_request_rate(monitoring: Monitoring) -> None:
    requests = 200
    series = 'http_requests_total{job="backend", route="/api/tasks", status="200"}'
    with httpx.Client(base_url=monitoring.stack.frontend_url) as client:
        # rate() counts the increase between samples: with no sample of the series before
        # the traffic, 200 requests between two scrapes would read as 0/s.
        assert client.get("/api/tasks").status_code == 200
        poll(lambda: monitoring.query(series) or None, within=30, what=f"{series} scraped")
        for _ in range(requests):
            assert client.get("/api/tasks").status_code == 200
    query = f"sum(rate({series}[1m]))"

    def rate() -> float | None:
        result = monitoring.query(query)
        return float(result[0]["value"][1]) if result and float(result[0]["value"][1]) > 0 else None

    value = poll(rate, within=30, what="a request rate above 0 for /api/tasks", every=1)
    accepted = poll(
        lambda: monitoring.query("sum(nginx_connections_accepted)") or None,
        within=30,
        what="nginx counters",
    )
    connections = accepted[0]["value"][1]
    print(f"\n{requests} GET /api/tasks through nginx: {query} = {value:.2f}/s")
    print(f"nginx_connections_accepted: {connections}")
    assert float(connections) >= 1


def test_stopping_the_backend_fires_backend_down_within_its_for(monitoring: Monitoring) -> None:
    stack = monitoring.stack
    assert not [
        alert for alert in monitoring.alerts() if alert["labels"]["alertname"] == "BackendDown"
    ]
    stopped = time.monotonic()
    stack.compose("stop", "backend")
    try:

        def firing() -> dict[str, Any] | None:
            for alert in monitoring.alerts():
                if alert["labels"]["alertname"] == "BackendDown" and alert["state"] == "firing":
                    return alert
            return None

        alert = poll(firing, within=FOR + 30, what="BackendDown firing", every=0.5)
        seconds = time.monotonic() - stopped
        received = poll(
            lambda: (
                [
                    alert
                    for alert in httpx.get(f"{monitoring.alertmanager}/api/v2/alerts").json()
                    if alert["labels"]["alertname"] == "BackendDown"
                ]
                or None
            ),
            within=30,
            what="BackendDown at Alertmanager",
        )
        print(
            f"\nBackendDown firing {seconds:.1f} s after `docker compose stop backend` "
            f"(for: {FOR}s, scrape and evaluation every {INTERVAL}); "
            f"at Alertmanager: {len(received)}"
        )
        assert alert["labels"]["severity"] == "critical"
        # its `for:`, plus one scrape, one evaluation and the time to notice the stop
        assert FOR <= seconds <= FOR + 3 * 2 + 10
    finally:
        stack.start_backend()


def queries_without_data(monitoring: Monitoring, queries: list[PanelQuery]) -> list[str]:
    """Each query, and each metric selector inside it, that returns no series."""
    empty = []
    for query in queries:
        if not monitoring.query(query.expr):
            empty.append(f"{query}: no series")
        empty += [
            f"{query}: {selector} has no series"
            for selector in selectors(query.expr)
            if not monitoring.query(selector)
        ]
    return empty


def test_every_dashboard_query_returns_data_after_traffic_and_an_outage(
    monitoring: Monitoring,
) -> None:
    """Every panel's PromQL (variables at their defaults) and every selector in it returns
    at least one series: a panel that names a metric or recording rule that no longer
    exists fails here. The errors panels need errors: PostgreSQL is stopped meanwhile."""
    stack = monitoring.stack
    with httpx.Client(base_url=stack.frontend_url, timeout=10) as client:
        for index in range(50):
            assert client.get("/api/tasks").status_code == 200
            if index % 10 == 0:
                created = client.post("/api/tasks", json={"title": f"Panel {index}"})
                assert created.status_code == 201
        stack.compose("stop", "db")
        try:

            def errors_seen() -> float | None:
                assert client.get("/api/tasks").status_code == 503
                rate = monitoring.query('sum(rate(tasks_store_errors_total{kind="outage"}[1m]))')
                return float(rate[0]["value"][1]) if rate and float(rate[0]["value"][1]) else None

            outage = poll(errors_seen, within=60, what="outage errors in Prometheus", every=0.2)
        finally:
            stack.compose("start", "db")
            stack.wait_for_storage("postgresql")
    queries = panel_queries()

    def all_answered() -> list[str] | None:
        return None if queries_without_data(monitoring, queries) else []

    try:
        poll(all_answered, within=60, what="data for every panel query", every=2)
    finally:
        missing = queries_without_data(monitoring, queries)
    for name, metric, label in variable_queries():
        values = {sample["metric"].get(label) for sample in monitoring.query(metric)}
        print(f"${name}: label_values({metric}, {label}) = {sorted(map(str, values))}")
        assert values - {None}, f"${name} would list nothing"
    dashboards = len({query.dashboard for query in queries})
    panels = len({(query.dashboard, query.panel_id) for query in queries})
    print(
        f"{len(queries)} queries of {panels} panels in {dashboards} dashboards, each with "
        f"data (outage errors seen at {outage:.2f}/s while PostgreSQL was stopped)"
    )
    assert missing == []


def test_a_panel_naming_a_metric_that_no_longer_exists_is_caught(monitoring: Monitoring) -> None:
    """The check above can fail: a recording rule renamed, a metric that is gone."""
    (query, *_) = panel_queries()
    renamed = [
        replace(query, ref_id="A", expr="route:http_requests:rate1m"),
        replace(query, ref_id="B", expr="sum(tasks_gone_total) or vector(0)"),
    ]
    empty = queries_without_data(monitoring, renamed)
    print("\n" + "\n".join(empty))
    assert len(empty) == 3  # the renamed rule; the gone metric, even behind `or vector(0)`
    assert "tasks_gone_total{} has no series" in empty[-1]


def test_every_runbook_check_runs_on_the_compose_stack(monitoring: Monitoring) -> None:
    """Each command of the runbooks' Compose blocks, pasted as a reader would in the
    project's folder, runs on this stack (after the traffic and the outage above): its
    docker compose finds the services whatever the project's name (here the test's own,
    as COMPOSE_PROJECT_NAME), its PromQL parses, its SQL runs. A grep that finds nothing
    (exit 1) is an answer too; any other failure is the runbook's."""
    env = {**monitoring.env, "COMPOSE_PROJECT_NAME": monitoring.stack.project}
    ran, failed = 0, []
    for command in commands("Compose"):
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        ran += 1
        answered = result.returncode == 0 or (result.returncode == 1 and "grep" in command)
        first = (result.stdout or result.stderr).strip().splitlines()[:1]
        print(f"\n$ {command}\n  exit {result.returncode}: {first[0][:120] if first else ''}")
        if not answered:
            failed.append(f"{command}\n  exit {result.returncode}: {result.stderr[-500:]}")
    print(f"\n{ran} runbook commands run")
    assert ran >= 30
    assert failed == []


def test_grafana_serves_the_provisioned_dashboards(monitoring: Monitoring) -> None:
    """Only where Grafana's image could be had (never on this project's test machines)."""
    if "grafana" not in monitoring.services:
        pytest.skip(f"Grafana not started: no image {monitoring.left_out['grafana']} here")
    health = httpx.get(f"{monitoring.grafana}/api/health").json()
    found = httpx.get(f"{monitoring.grafana}/api/search", params={"type": "dash-db"}).json()
    print(f"\nGrafana {health.get('version')}: {[item['title'] for item in found]}")
    assert health["database"] == "ok"
    assert {item["uid"] for item in found} == {"tasks-overview", "tasks-postgresql", "tasks-nginx"}
