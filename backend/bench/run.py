"""The backend's benchmark: `make bench` (full, minutes) or `make bench QUICK=1` (seconds).

It starts what it needs on this machine's loopback only: a throwaway PostgreSQL, the
backend as users run it (`uvicorn main:app`, one worker, the request log on), and three
yardsticks written for the benchmark (bench/baselines/). wrk sends the load, each
scenario in alternating rounds so that the machine's state weighs on all alike, and one
table is printed: req/s, p50, p99, CPU ms per request, req/s and p99 as ratios of the
baseline's (for the list and the create: the FastAPI floor, an idiomatic FastAPI app, of
which the project is to reach TARGET_RPS_RATIO of the req/s with at most TARGET_P99_RATIO
of the p99), req/s as a ratio of the bare ASGI app's, machine load; then whether the
target is met.
"""

import argparse
import compileall
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from app.database.migrations import upgrade_to_head
from harness.app import make_settings
from harness.load import rss_mb, run_wrk
from harness.network import free_port
from harness.polling import wait_for_http
from harness.postgres import fresh_database, running_server

BACKEND_DIR = Path(__file__).resolve().parents[1]
WRK_SCRIPTS = Path(__file__).resolve().parent / "wrk"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CONNECTIONS = 32
BARE_ASGI = "bare ASGI"
FLOOR = "FastAPI floor"
FLOOR_MINIMAL = "FastAPI floor, minimal (no Depends)"
# The project, every feature on, against the FastAPI floor on the list and the create.
TARGET_RPS_RATIO = 0.9
TARGET_P99_RATIO = 1.2


@dataclass
class Server:
    """One uvicorn process, its port, and the CPU time it has used."""

    name: str
    process: subprocess.Popen[bytes]
    url: str

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)


@contextmanager
def server(name: str, app: str, env: dict[str, str], log_dir: Path) -> Iterator[Server]:
    """`uvicorn APP` on a free loopback port, one worker, until the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--no-access-log"]
    environment = {**os.environ, "LOG_FORMAT": "json", **env}
    with (log_dir / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(
            command, cwd=BACKEND_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        ready = "/api/health/ready" if app == "main:app" else "/api/tasks?limit=1"
        wait_for_http(f"http://127.0.0.1:{port}{ready}", within=120)
        yield Server(name, process, f"http://127.0.0.1:{port}")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@dataclass
class Result:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    errors: int
    load: float


def wrk(target: Server, path: str, seconds: float, script: str | None) -> Result:
    """One wrk run against `target`; CPU is the server's own, per request."""
    load = os.getloadavg()[0]
    cpu_before = target.cpu_seconds()
    # One wrk thread is plenty for these rates, and leaves the second core to the server.
    run = run_wrk(
        target.url + path,
        connections=CONNECTIONS,
        seconds=seconds,
        script=WRK_SCRIPTS / script if script else None,
    )
    cpu = target.cpu_seconds() - cpu_before
    return Result(
        requests=run.requests,
        rps=run.rps,
        p50_ms=run.p50_ms,
        p99_ms=run.p99_ms,
        cpu_ms=cpu * 1000 / max(run.requests, 1),
        errors=run.failures,
        load=load,
    )


@dataclass
class Scenario:
    label: str
    path: str
    targets: list[Server]
    script: str | None = None
    baseline: str | None = None  # the target the ratio is to
    results: dict[str, list[Result]] = field(default_factory=dict)


def run_rounds(
    scenarios: list[Scenario], rounds: int, seconds: float, reset: Callable[[], None]
) -> None:
    """Each round runs every scenario and target once, in turn, then puts the data back as
    seeded: the next round's reads see the same tables, with fresh statistics."""
    for _ in range(rounds):
        for scenario in scenarios:
            for target in scenario.targets:
                result = wrk(target, scenario.path, seconds, scenario.script)
                scenario.results.setdefault(target.name, []).append(result)
        reset()


def median(results: list[Result], attribute: str) -> float:
    return float(statistics.median(getattr(result, attribute) for result in results))


def table(scenarios: list[Scenario]) -> list[str]:
    """The results: each server's req/s and p99 as ratios of its scenario's baseline (the
    baseline's own row says 1.00x), and its req/s as a ratio of the bare ASGI app's where
    that ran too, for context."""
    lines = [
        "| scenario | server | req/s | p50 ms | p99 ms | CPU ms/req | vs baseline "
        "| p99 vs baseline | vs bare ASGI | errors | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario in scenarios:
        base = scenario.results.get(scenario.baseline or "")
        bare = scenario.results.get(BARE_ASGI)
        for name, results in scenario.results.items():
            rps, p99 = median(results, "rps"), median(results, "p99_ms")
            rps_ratio = p99_ratio = bare_ratio = ""
            if base:
                rps_ratio = f"{rps / median(base, 'rps'):.2f}x"
                p99_ratio = f"{p99 / median(base, 'p99_ms'):.2f}x"
            if bare and name != BARE_ASGI:
                bare_ratio = f"{rps / median(bare, 'rps'):.2f}x"
            lines.append(
                f"| {scenario.label} | {name} | {rps:,.0f} | {median(results, 'p50_ms'):.1f} "
                f"| {p99:.1f} | {median(results, 'cpu_ms'):.2f} | {rps_ratio} | {p99_ratio} "
                f"| {bare_ratio} | {sum(r.errors for r in results)} "
                f"| {median(results, 'load'):.1f} |"
            )
    return lines


def verdicts(scenarios: list[Scenario]) -> list[str]:
    """For each scenario held to the target (the FastAPI floor its baseline): the ratios of
    its first target, the project, and whether they meet TARGET_RPS_RATIO and
    TARGET_P99_RATIO."""
    lines = []
    for scenario in scenarios:
        base = scenario.results.get(FLOOR)
        ours = scenario.results.get(scenario.targets[0].name)
        if scenario.baseline != FLOOR or not base or not ours:
            continue
        rps = median(ours, "rps") / median(base, "rps")
        p99 = median(ours, "p99_ms") / median(base, "p99_ms")
        met = rps >= TARGET_RPS_RATIO and p99 <= TARGET_P99_RATIO
        lines.append(
            f"target, {scenario.label}: {rps:.2f}x the floor's req/s (>= {TARGET_RPS_RATIO}), "
            f"p99 {p99:.2f}x (<= {TARGET_P99_RATIO}): {'met' if met else 'NOT met'}"
        )
    return lines


def trim(url: str, count: int) -> None:
    """Back to the seeded tasks: the writes' rows removed, task 1 open, statistics fresh."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DELETE FROM tasks WHERE id > %s", (count,))
        connection.execute("UPDATE tasks SET done = false WHERE id = 1")
        connection.execute("VACUUM ANALYZE tasks")


def seed(url: str, count: int) -> None:
    """The schema, then `count` tasks (every other one done) in one statement."""
    upgrade_to_head(make_settings(url))
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO tasks (title, done) SELECT 'Tâche numéro ' || n, n %% 2 = 0"
            " FROM generate_series(1, %s) AS n",
            (count - 2,),
        )
        connection.execute("VACUUM ANALYZE tasks")


def timed_bulk_changes(target: Server) -> str:
    """Seconds for PATCH /api/tasks {"done": true}, the same again, DELETE ?done=true."""
    timings = []
    with httpx.Client(base_url=target.url, timeout=600) as client:
        for method, path, body in (
            ("PATCH", "/api/tasks", {"done": True}),
            ("PATCH", "/api/tasks", {"done": True}),
            ("DELETE", "/api/tasks?done=true", None),
        ):
            started = time.monotonic()
            response = client.request(method, path, json=body)
            response.raise_for_status()
            count = next(iter(response.json().values()))
            timings.append(f"{method} {count:,} in {time.monotonic() - started:.2f} s")
    return ", ".join(timings)


def compile_bytecode() -> None:
    """The project's code compiled to bytecode, as in the backend image (and as Python
    leaves it after a first start, unless PYTHONDONTWRITEBYTECODE is set)."""
    for folder in ("app", "migrations"):
        compileall.compile_dir(BACKEND_DIR / folder, quiet=1)
    compileall.compile_file(BACKEND_DIR / "main.py", quiet=1)


def cold_starts(env: dict[str, str], runs: int) -> list[float]:
    """Seconds from `uvicorn main:app` starting to its first 200 on /api/health/ready."""
    compile_bytecode()
    timings = []
    # One client for all the polls: making one costs ~30 ms of CPU, taken from the server.
    with httpx.Client() as client:
        for _ in range(runs):
            port = free_port()
            started = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "main:app", "--port", str(port)],
                cwd=BACKEND_DIR,
                env={**os.environ, "LOG_FORMAT": "json", **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                url = f"http://127.0.0.1:{port}/api/health/ready"
                while True:
                    try:
                        if client.get(url).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() - started > 60:
                        raise RuntimeError("the backend did not become ready within 60 s")
                    time.sleep(0.01)
                timings.append(time.monotonic() - started)
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="seconds, not minutes")
    quick = parser.parse_args().quick
    rounds, seconds = (1, 1) if quick else (3, 5)
    sizes = [1_000] if quick else [1_000, 1_000_000]
    runs = 2 if quick else 5

    with ExitStack() as stack:
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tasks-bench-")))
        pg = stack.enter_context(running_server())
        # Cold starts first, while nothing else runs.
        memory_starts = cold_starts({}, runs)
        pg_starts = cold_starts(
            {"DATABASE_URL": stack.enter_context(fresh_database(pg.url()))}, runs
        )

        def start(name: str, app: str, env: dict[str, str]) -> Server:
            return stack.enter_context(server(name, app, env, log_dir))

        scenarios: list[Scenario] = []
        bulk_targets: list[Server] = []
        datasets: list[tuple[str, int]] = []
        rss: list[str] = []
        for size in sizes:
            url = stack.enter_context(fresh_database(pg.url()))
            seed(url, size)
            datasets.append((url, size))
            db = {"DATABASE_URL": url}
            project = start(f"project, PG {size:,}", "main:app", db)
            memory = start(
                f"project, memory {size:,}",
                "bench.seeded_memory:app",
                {"BENCH_TASKS": str(size - 2), "MEMORY_MAX_TASKS": str(2 * size)},
            )
            rss += [
                f"idle RSS, {project.name}: {project.rss_mb():.0f} MB",
                f"idle RSS, {memory.name}: {memory.rss_mb():.0f} MB",
            ]
            first, deep = "/api/tasks?limit=100", f"/api/tasks?limit=100&after_id={size - 150}"
            first_page = Scenario(f"PG {size:,}: GET first page", first, [project], baseline=FLOOR)
            scenarios += [
                first_page,
                Scenario(f"PG {size:,}: GET deep page", deep, [project]),
                Scenario(f"PG {size:,}: GET done=true, deep", f"{deep}&done=true", [project]),
                Scenario(f"memory {size:,}: GET first page", first, [memory]),
                Scenario(f"memory {size:,}: GET deep page", deep, [memory]),
                Scenario(f"memory {size:,}: GET done=true, deep", f"{deep}&done=true", [memory]),
                Scenario(f"PG {size:,}: GET summary", "/api/tasks/summary", [project]),
                Scenario(f"memory {size:,}: GET summary", "/api/tasks/summary", [memory]),
            ]
            bulk_targets.append(project)
            if size != sizes[0]:
                continue
            # The yardsticks, and the scenarios measured once: on the smaller data set.
            bare = start(BARE_ASGI, "bench.baselines.bare_asgi:app", db)
            floor = start(FLOOR, "bench.baselines.fastapi_floor:app", db)
            minimal = start(FLOOR_MINIMAL, "bench.baselines.fastapi_floor:minimal", db)
            course = start("course solution", "bench.baselines.course_solution:app", db)
            quiet = start("project, request log off", "main:app", {**db, "LOG_LEVEL": "warning"})
            unmetered = start(
                "project, metrics off", "main:app", {**db, "METRICS_ENABLED": "false"}
            )
            first_page.targets += [floor, minimal, bare, course]
            scenarios += [
                Scenario(
                    f"PG {size:,}: GET first page, log on/off",
                    first,
                    [project, quiet],
                    baseline=quiet.name,
                ),
                Scenario(
                    f"PG {size:,}: GET first page, metrics on/off",
                    first,
                    [project, unmetered],
                    baseline=unmetered.name,
                ),
                Scenario("GET /api/health", "/api/health", [project]),
                Scenario("GET /api/health/ready", "/api/health/ready", [project]),
                Scenario(
                    f"PG {size:,}: POST",
                    "/api/tasks",
                    [project, floor, minimal, bare],
                    "post.lua",
                    FLOOR,
                ),
                Scenario(f"PG {size:,}: PATCH", "/api/tasks/1", [project], "patch.lua"),
            ]

        def reset() -> None:
            for dataset in datasets:
                trim(*dataset)

        run_rounds(scenarios, rounds, seconds, reset)
        # Last, as they change the data: every task done, again (nothing to change), then
        # every done task deleted, each once, timed, on PostgreSQL.
        bulk = [f"{target.name}: {timed_bulk_changes(target)}" for target in bulk_targets]
        loaded = {target.name: target for scenario in scenarios for target in scenario.targets}
        rss += [
            f"RSS after load, {name}: {t.rss_mb():.0f} MB"
            for name, t in loaded.items()
            if name.startswith("project")
        ]

    mode = "quick" if quick else "full"
    print(
        f"\nBenchmark ({mode}): {os.cpu_count()} cores, wrk -t1 -c{CONNECTIONS}, "
        f"{rounds} round(s) of {seconds} s per scenario and server, medians\n"
    )
    print("\n".join(table(scenarios)))
    print()
    print("\n".join(verdicts(scenarios)))
    print("\n".join(rss))
    print("\n".join(f"bulk changes, {line}" for line in bulk))
    print(f"cold start to ready, memory:     {' '.join(f'{t:.2f}' for t in memory_starts)} s")
    pg_figures = " ".join(f"{t:.2f}" for t in pg_starts)
    print(f"cold start to ready, PostgreSQL: {pg_figures} s (the first one migrates)")
    failed = sum(r.errors for s in scenarios for rs in s.results.values() for r in rs)
    if failed:
        raise SystemExit(f"{failed} requests failed during the benchmark")


if __name__ == "__main__":
    main()
