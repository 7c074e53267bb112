"""CPU time per request, in process: each app called as an ASGI app, no server, no network.

The project's app (every feature on, the request log written as in a container), the
FastAPI floor (and its minimal form, without Depends) and the bare ASGI app
(bench/baselines/) answer the same requests on a throwaway PostgreSQL with 1,000 tasks:
the first page of the list, and a create. What
`make bench` cannot separate (uvicorn's parsing, wrk, the machine's other load) is left
out, so that a change of a few microseconds shows. --profile runs pyinstrument over the
project's requests and prints where their time goes.

    cd backend && uv run --group bench python -m bench.in_process [--requests 5000] [--profile]
"""

import argparse
import asyncio
import importlib
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack, redirect_stderr
from dataclasses import dataclass
from typing import Any

from asgi_lifespan import LifespanManager

from bench.run import seed
from harness.app import make_settings
from harness.postgres import fresh_database, running_server

ASGIApp = Callable[..., Awaitable[None]]
# Requests in flight at once, as wrk's connections keep the server busy while the
# database answers.
CONCURRENCY = 8
JSON = [(b"content-type", b"application/json")]
NAMES = ("project", "FastAPI floor", "floor, minimal (no Depends)", "bare ASGI")


@dataclass(frozen=True)
class Request:
    label: str
    method: str
    path: str
    query: bytes = b""
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    status: int = 200


SCENARIOS = [
    Request("GET first page", "GET", "/api/tasks", b"limit=100"),
    Request(
        "POST",
        "POST",
        "/api/tasks",
        body='{"title": "Tâche créée par le benchmark"}'.encode(),
        headers=((b"content-type", b"application/json"), (b"content-length", b"43")),
        status=201,
    ),
]


async def call(app: ASGIApp, request: Request) -> int:
    """One request through `app`, as uvicorn would make it; the response's status."""
    headers = [(b"host", b"127.0.0.1:8000"), *request.headers]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.path.encode(),
        "query_string": request.query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    delivered = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        await asyncio.Event().wait()  # the client never goes away
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def cpu_per_request(app: ASGIApp, request: Request, count: int) -> float:
    """Microseconds of this process's CPU per request, over `count` requests."""
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            status = await call(app, request)
            if status != request.status:
                raise AssertionError(f"{request.label}: {status}, not {request.status}")

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return (time.process_time() - started) * 1e6 / count


async def wait_until_ready(app: ASGIApp) -> None:
    deadline = time.monotonic() + 30
    while await call(app, Request("ready", "GET", "/api/health/ready")) != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not become ready within 30 s")
        await asyncio.sleep(0.05)


def load_app(name: str, database_url: str, attribute: str = "app") -> Any:
    if name == "project":
        from app.app import create_app

        return create_app(make_settings(database_url, log_format="json"))
    os.environ["DATABASE_URL"] = database_url  # the yardsticks read it at import
    module = importlib.import_module(f"bench.baselines.{name}")
    return getattr(module, attribute)


async def measure(
    database_url: str, requests: int, rounds: int, profile: bool
) -> dict[tuple[str, str], list[float]]:
    results: dict[tuple[str, str], list[float]] = {}
    async with (
        LifespanManager(load_app("project", database_url)) as project,
        LifespanManager(load_app("fastapi_floor", database_url)) as floor,
        LifespanManager(load_app("fastapi_floor", database_url, "minimal")) as minimal,
        LifespanManager(load_app("bare_asgi", database_url)) as bare,
    ):
        apps = dict(zip(NAMES, (project.app, floor.app, minimal.app, bare.app), strict=True))
        await wait_until_ready(apps["project"])
        for scenario in SCENARIOS:
            for app in apps.values():
                await cpu_per_request(app, scenario, 200)  # warm up: caches, pool, JIT-free
        # Rounds alternate the apps, so that the machine's state weighs on all alike.
        for _ in range(rounds):
            for scenario in SCENARIOS:
                for name, app in apps.items():
                    cpu = await cpu_per_request(app, scenario, requests)
                    results.setdefault((scenario.label, name), []).append(cpu)
        if profile:
            from pyinstrument import Profiler

            for scenario in SCENARIOS:
                profiler = Profiler(async_mode="disabled", interval=0.0002)
                with profiler:
                    await cpu_per_request(apps["project"], scenario, requests)
                print(f"\n=== project, {scenario.label}, {requests} requests")
                print(profiler.output_text(unicode=True, show_all=False, short_mode=False))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="per round and app")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="pyinstrument the project")
    arguments = parser.parse_args()
    with ExitStack() as stack:
        server = stack.enter_context(running_server())
        url = stack.enter_context(fresh_database(server.url()))
        seed(url, 1_000)
        # The request log goes where a container's would, not to this terminal.
        stack.enter_context(redirect_stderr(stack.enter_context(open(os.devnull, "w"))))
        results = asyncio.run(measure(url, arguments.requests, arguments.rounds, arguments.profile))
    print(
        f"\nCPU µs per request in process, PostgreSQL 1,000 tasks, {CONCURRENCY} in flight, "
        f"median of {arguments.rounds} x {arguments.requests}\n"
    )
    print(f"| scenario | {' | '.join(NAMES)} | project - floor |")
    print(f"|---|{'---|' * len(NAMES)}---|")
    for scenario in SCENARIOS:
        cpu = [statistics.median(results[scenario.label, name]) for name in NAMES]
        figures = " | ".join(f"{value:.0f}" for value in cpu)
        print(f"| {scenario.label} | {figures} | {cpu[0] - cpu[1]:+.0f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
