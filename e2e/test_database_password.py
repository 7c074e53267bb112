"""Any password PostgreSQL accepts works in the compose stack, and no log line carries a
piece of it: a password made of every URL delimiter, a space, quotes, a backslash and
non-ASCII letters, through the backend, the postgres exporter, make backup and make
restore; then every service's log is searched for each of its pieces. Needs a Docker
engine."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from harness.network import free_port
from harness.passwords import AWKWARD_PASSWORD, pieces
from harness.polling import poll

from stacks.compose import ComposeStack, compose_stack
from support.paths import ROOT

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def awkward_stack() -> Iterator[ComposeStack]:
    """A compose stack of its own (a new volume, so the password is the one it is created
    with), with the monitoring services that reach PostgreSQL: the postgres exporter, and
    Prometheus to ask it."""
    settings = {
        "POSTGRES_PASSWORD": AWKWARD_PASSWORD,
        "PROMETHEUS_PORT": str(free_port()),
        "ALERTMANAGER_PORT": str(free_port()),
    }
    with compose_stack(settings) as stack:
        # Named, they start without the whole monitoring profile (Grafana's image among it).
        stack.compose("up", "--detach", "--wait", "postgres-exporter", "prometheus")
        yield stack


def exporter_metrics(stack: ComposeStack) -> str:
    return stack.compose(
        "exec", "-T", "prometheus", "wget", "-q", "-O", "-", "http://postgres-exporter:9187/metrics"
    ).stdout


def test_a_password_of_every_url_delimiter_works_everywhere_and_is_never_logged(
    awkward_stack: ComposeStack, tmp_path: Path
) -> None:
    created = httpx.post(f"{awkward_stack.url}/api/tasks", json={"title": "Mot de passe tordu"})
    readiness = httpx.get(f"{awkward_stack.url}/api/health/ready").json()
    exporter = poll(
        lambda: metrics if "pg_up 1" in (metrics := exporter_metrics(awkward_stack)) else None,
        within=60,
        what="the postgres exporter logged in (pg_up 1)",
        every=2,
    )
    env = {**awkward_stack.env, "COMPOSE_PROJECT_NAME": awkward_stack.project}
    env["BACKUP_DIR"] = str(tmp_path)
    backup = subprocess.run(["make", "backup"], cwd=ROOT, env=env, capture_output=True, text=True)
    (dump,) = tmp_path.glob("tasks-*.dump")
    restore = subprocess.run(
        ["make", "restore", f"FILE={dump}", "FORCE=1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    logs = awkward_stack.compose("logs", "--no-color", "--timestamps")
    said = logs.stdout + logs.stderr + backup.stdout + backup.stderr
    said += restore.stdout + restore.stderr + exporter

    assert created.status_code == 201
    assert readiness == {"status": "ok", "storage": "postgresql"}
    assert backup.returncode == 0, backup.stderr
    assert restore.returncode == 0, restore.stderr
    services = {service["Service"] for service in awkward_stack.services()}
    assert {"db", "backend", "frontend", "postgres-exporter", "prometheus"} <= services
    assert [piece for piece in pieces() if piece in said] == []
