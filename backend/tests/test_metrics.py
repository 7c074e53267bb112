"""GET /metrics: requests by route template, the storage's state, one sum over workers."""

import re
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app.app import create_app
from app.config import Settings
from app.metrics import METRICS_PATH, UNMATCHED
from app.route_matching import RouteMatcher
from harness.app import make_settings, running_app, wait_for_status
from harness.servers import UvicornServer

pytestmark = pytest.mark.anyio

# Nothing listens there: a PostgreSQL backend pointed at it never becomes ready.
UNREACHABLE_DATABASE = "postgresql://tasks:tasks@127.0.0.1:1/tasks"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the sample `name` with (at least) these labels; 0 when absent."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


async def test_requests_are_counted_by_route_template_never_by_raw_path(
    client: httpx.AsyncClient,
) -> None:
    before = await scrape(client)
    for task_id in (1, 2, 999_999):
        await client.get(f"/api/tasks/{task_id}")
    await client.head("/api/tasks/1")
    await client.get("/no/such/page/123")
    after = await scrape(client)

    def delta(**labels: str) -> float:
        return sample(after, "http_requests_total", **labels) - sample(
            before, "http_requests_total", **labels
        )

    task = "/api/tasks/{task_id}"
    assert delta(method="GET", route=task, status="200") == 2
    assert delta(method="GET", route=task, status="404") == 1
    assert delta(method="HEAD", route=task, status="200") == 1
    assert delta(method="GET", route="unmatched", status="404") == 1
    assert "/api/tasks/999999" not in after
    assert "/no/such/page" not in after
    # the latency histogram has the same labels
    count = "http_request_duration_seconds_count"
    ok = {"method": "GET", "route": task, "status": "200"}
    assert sample(after, count, **ok) - sample(before, count, **ok) == 2


def requests_counted(method: str, route: str) -> float:
    """http_requests_total for this method and route, all statuses together."""
    return sum(
        sample.value
        for family in REGISTRY.collect()
        if family.name == "http_requests"
        for sample in family.samples
        if sample.name == "http_requests_total"
        and sample.labels["method"] == method
        and sample.labels["route"] == route
    )


# A body each method can send to any route (a bad one is refused, and counted all the same).
BODIES = {"POST": {"title": "compté"}, "PATCH": {"done": True}}


async def test_every_route_is_counted_under_its_template_whatever_its_class(
    settings: Settings,
) -> None:
    routes = [
        (method, str(route.path_format))
        for route in RouteMatcher(create_app(settings).routes).routes
        for method in sorted(route.methods or ())
    ]
    assert {template for _, template in routes} >= {METRICS_PATH, "/api/docs", "/api/tasks"}

    async with running_app(settings) as client:
        for method, template in routes:
            for sent in [method, "HEAD"] if method == "GET" else [method]:
                before = requests_counted(sent, template)
                path = re.sub(r"\{[^}]+\}", "1", template)

                await client.request(sent, path, json=BODIES.get(sent))

                assert requests_counted(sent, template) - before == 1, (sent, template)


@pytest.mark.parametrize(
    ("method", "path", "headers", "route"),
    [
        ("PUT", "/api/tasks", {}, "/api/tasks"),  # 405: the path's route
        ("POST", "/api/tasks", {"content-length": str(10**6)}, "/api/tasks"),  # 413, unread
        ("GET", "/api/tasks/not-a-number", {}, UNMATCHED),
        ("GET", "/metrics/", {}, UNMATCHED),
    ],
)
async def test_requests_answered_without_a_route_handler_are_counted_by_their_path(
    method: str, path: str, headers: dict[str, str], route: str
) -> None:
    async with running_app(make_settings(None)) as client:
        before = requests_counted(method, route)
        await client.request(method, path, headers=headers, content=b"{}")

        assert requests_counted(method, route) - before == 1


async def test_build_info_and_readiness_are_exported(settings: Settings) -> None:
    settings = settings.model_copy(update={"app_version": "1.2.3", "app_revision": "abc1234"})
    async with running_app(settings) as client:
        text = await scrape(client)
    assert sample(text, "tasks_build_info", version="1.2.3", revision="abc1234") == 1
    assert sample(text, "tasks_store_ready") == 1
    assert "process_resident_memory_bytes" in text


async def test_postgresql_pool_figures_are_exported(database_url: str) -> None:
    async with running_app(make_settings(database_url, db_pool_size=3)) as client:
        text = await scrape(client)
    assert sample(text, "tasks_db_pool_connections", state="max") == 3 + 5
    assert sample(text, "tasks_db_pool_connections", state="waiting") == 0
    assert sample(text, "tasks_db_pool_connections", state="open") >= 1


async def test_an_outage_is_counted_as_one_and_the_store_reported_not_ready() -> None:
    settings = make_settings(UNREACHABLE_DATABASE, startup_timeout=0)
    async with running_app(settings, wait_ready=False) as client:
        before = await scrape(client)
        await wait_for_status(client, "/api/tasks", 503)
        after = await scrape(client)
    outages = "tasks_store_errors_total"
    assert sample(after, outages, kind="outage") - sample(before, outages, kind="outage") >= 1
    assert sample(after, outages, kind="overload") == sample(before, outages, kind="overload")
    assert sample(after, "tasks_store_ready") == 0


async def test_a_full_memory_store_and_idempotent_replays_are_counted() -> None:
    async with running_app(make_settings(None, memory_max_tasks=2)) as client:
        before = await scrape(client)
        assert (await client.post("/api/tasks", json={"title": "one too many"})).status_code == 507
        await client.delete("/api/tasks/2")
        once = {"Idempotency-Key": "k"}
        for _ in range(3):
            await client.post("/api/tasks", json={"title": "once"}, headers=once)
        after = await scrape(client)
    full = "tasks_store_errors_total"
    assert sample(after, full, kind="full") - sample(before, full, kind="full") == 1
    replays = "tasks_idempotent_replays_total"
    assert sample(after, replays) - sample(before, replays) == 2


async def test_metrics_can_be_turned_off() -> None:
    async with running_app(make_settings(None, metrics_enabled=False)) as client:
        assert (await client.get("/metrics")).status_code == 404


def test_several_workers_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """Each worker writes its figures to PROMETHEUS_MULTIPROC_DIR; any scrape sums them."""
    requests = 200
    server = UvicornServer(workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    server.start()
    try:
        for _ in range(requests):  # a new connection each time: the workers share them
            assert httpx.get(f"{server.url}/api/tasks").status_code == 200
        totals = []
        for _ in range(4):  # whichever worker answers the scrape
            text = httpx.get(f"{server.url}/metrics").text
            totals.append(sample(text, "http_requests_total", route="/api/tasks", status="200"))
    finally:
        server.stop()
    writers = {path.stem.rsplit("_", 1)[1] for path in tmp_path.glob("counter_*.db")}
    print(f"\n{requests} requests over {len(writers)} workers; scrapes say {totals}")
    assert len(writers) == 2, "both workers should have answered some requests"
    assert totals == [requests] * 4
