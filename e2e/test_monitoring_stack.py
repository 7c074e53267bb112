"""`docker compose --profile monitoring up -d` for real, on the run's compose stack:
Prometheus scrapes every tier, sees the traffic, and the backend-down alert fires when
the backend stops. Intervals are shortened for the test only (2 s, and `for: 10s`)."""

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.network import free_port
from harness.polling import poll

from compose_stack import ComposeStack
from paths import ROOT

pytestmark = pytest.mark.stack

MONITORING = [
    "prometheus",
    "alertmanager",
    "nginx-exporter",
    "postgres-exporter",
    "volume-exporter",
]
JOBS = {"backend", "nginx", "postgres", "postgres-volume", "alertmanager", "prometheus"}
INTERVAL = "2s"
FOR = 10  # seconds, in place of each alert's `for:`


class Monitoring:
    def __init__(self, stack: ComposeStack, config: Path) -> None:
        self.stack = stack
        self.prometheus = f"http://127.0.0.1:{free_port()}"
        self.alertmanager = f"http://127.0.0.1:{free_port()}"
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
        }
        self.files = ["-f", str(ROOT / "docker-compose.yml"), "-f", str(override)]

    def compose(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.stack.compose(
            *self.files, "--profile", "monitoring", *args, check=False, env=self.env
        )

    def remove(self) -> None:
        """The monitoring services, their volume and network: the stack as it was."""
        self.compose("rm", "--stop", "--force", "--volumes", *MONITORING)
        project = self.stack.project
        for kind, name in (("volume", "prometheus_data"), ("network", "monitoring")):
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
    config = into / "prometheus" / "prometheus.yml"
    text = re.sub(
        r"(scrape_interval|evaluation_interval|refresh_interval): 15s",
        rf"\1: {INTERVAL}",
        config.read_text(),
    )
    config.write_text(text.replace("global:\n", f"global:\n  scrape_timeout: {INTERVAL}\n", 1))
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
            result = running.compose("up", "--detach", "--wait", "--wait-timeout", "180")
            logs = running.compose("logs", "--tail", "30", *MONITORING).stdout
            assert result.returncode == 0, result.stderr + logs
            print(f"\nMonitoring profile up and healthy in {time.monotonic() - started:.0f} s")
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


def test_traffic_through_nginx_shows_in_the_request_rate(monitoring: Monitoring) -> None:
    requests = 200
    with httpx.Client(base_url=monitoring.stack.frontend_url) as client:
        for _ in range(requests):
            assert client.get("/api/tasks").status_code == 200
    query = 'sum(rate(http_requests_total{job="backend", route="/api/tasks", status="200"}[1m]))'

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
