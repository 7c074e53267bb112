"""Load test of the task list API with Locust: people using the app at once.

    make load                              # 20 users, 30 s, on http://127.0.0.1:8000
    make load USERS=50 DURATION=2m         # more, longer
    cd load && uv run locust               # Locust's web UI on http://127.0.0.1:8089

Each simulated user reads the list and the summary often, and now and then creates a
task (with an Idempotency-Key, as the web app does), ticks it and deletes it again, so
the data stays the size it was. `--tags read` keeps to the reads (GET only: every one of
them may be retried, which the scale-out tests count on).

Traffic goes to this machine only (127.0.0.0/8 or ::1): a load test is not something to
point at someone else's server by mistake. At the end, one line sums it up:
requests, failures, req/s, p50/p95/p99.
"""

import ipaddress
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

from locust import HttpUser, between, events, tag, task
from locust.env import Environment
from locust.runners import MasterRunner


def _is_loopback(host: str) -> bool:
    name = urlsplit(host).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except socket.gaierror:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


# At init, before the run starts: at test_start the refusal raced the run's own timer
# (a run of 2 s on a busy machine ended before test_start, and exited 0).
@events.init.add_listener
def refuse_other_hosts(environment: Environment, **_: Any) -> None:
    host = environment.host or ""
    if not _is_loopback(host):
        raise SystemExit(f"refusing to load {host or 'no host'}: only this machine (loopback)")
    options = environment.parsed_options
    if options is not None and options.headless and not options.run_time:
        raise SystemExit("a headless run needs --run-time (it must stop by itself)")


@events.quitting.add_listener
def summary(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner) or environment.stats is None:
        return
    total = environment.stats.total
    percentiles = " ".join(
        f"p{int(q * 100)} {total.get_response_time_percentile(q):.0f} ms"
        for q in (0.50, 0.95, 0.99)
    )
    print(
        f"LOAD SUMMARY: {total.num_requests} requests, {total.num_failures} failures, "
        f"{total.total_rps:.1f} req/s, {percentiles}"
    )


class TaskListUser(HttpUser):
    """Someone with the app open: mostly looking, sometimes changing a task."""

    wait_time = between(0.5, 2.0)

    @tag("read")
    @task(6)
    def list_tasks(self) -> None:
        self.client.get("/api/tasks", name="GET /api/tasks")

    @tag("read")
    @task(2)
    def summary(self) -> None:
        self.client.get("/api/tasks/summary", name="GET /api/tasks/summary")

    @tag("read")
    @task(1)
    def health(self) -> None:
        self.client.get("/api/health/ready", name="GET /api/health/ready")

    @tag("write")
    @task(1)
    def create_tick_delete(self) -> None:
        key = {"Idempotency-Key": str(uuid.uuid4())}
        with self.client.post(
            "/api/tasks",
            json={"title": "Tâche de charge"},
            headers=key,
            name="POST /api/tasks",
            catch_response=True,
        ) as created:
            if created.status_code != 201:
                created.failure(f"create answered {created.status_code}")
                return
        task_id = created.json()["id"]
        self.client.patch(
            f"/api/tasks/{task_id}", json={"done": True}, name="PATCH /api/tasks/{id}"
        )
        self.client.delete(f"/api/tasks/{task_id}", name="DELETE /api/tasks/{id}")
