"""The load generator (`make load`, load/locustfile.py) run for real, briefly, against
the local stack's nginx: it sums up, stops by itself, and refuses other machines."""

import re
import shutil
import subprocess

from stacks.local import LocalStack
from support.paths import ROOT


def locust(
    host: str, seconds: int = 5, tags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """A headless run of `seconds`, 5 users started at once; only the tasks tagged `tags`
    when given. A task under way when the time is up is finished and counted (at most
    --stop-timeout seconds more), so that a busy machine, slow to answer, gives fewer
    requests, never none."""
    uv = shutil.which("uv") or "uv"
    options = ["--users", "5", "--spawn-rate", "100", "--run-time", f"{seconds}s", "--host", host]
    options += ["--stop-timeout", "30"]
    if tags:
        options += ["--tags", *tags]
    return subprocess.run(
        [uv, "run", "--frozen", "locust", "--headless", *options, "--only-summary"],
        cwd=ROOT / "load",
        capture_output=True,
        text=True,
        timeout=120,
    )


def summed_up(result: subprocess.CompletedProcess[str]) -> tuple[str, int, int]:
    """The run's output, and its requests and failures from the closing summary line."""
    output = result.stdout + result.stderr
    summary = re.search(
        r"LOAD SUMMARY: (\d+) requests, (\d+) failures, ([\d.]+) req/s, p50", output
    )
    assert summary is not None, output[-3000:]
    print("\n" + output[summary.start() :].splitlines()[0])
    assert result.returncode == 0, output[-3000:]
    return output, int(summary.group(1)), int(summary.group(2))


def test_a_short_load_run_sums_up_with_no_failure(shared_stack: LocalStack) -> None:
    output, requests, failures = summed_up(locust(shared_stack.nginx.api_url))

    assert requests > 5
    assert failures == 0
    assert "GET /api/tasks" in output  # 6 in 10 of the mix's picks


def test_the_writes_of_the_mix_run_with_no_failure(shared_stack: LocalStack) -> None:
    # On their own: in the mix, one pick in 10 is a write, and a 5-second run of ~20 picks
    # has none about one time in seven.
    output, requests, failures = summed_up(
        locust(shared_stack.nginx.api_url, seconds=3, tags=("write",))
    )

    assert requests >= 3
    assert failures == 0
    for name in ("POST /api/tasks", "PATCH /api/tasks/{id}", "DELETE /api/tasks/{id}"):
        assert name in output


def test_a_host_other_than_this_machine_is_refused() -> None:
    result = locust("http://192.0.2.1:8000", seconds=2)  # TEST-NET-1: nobody's

    assert result.returncode != 0
    assert "only this machine" in result.stdout + result.stderr
