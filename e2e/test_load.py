"""The load generator (`make load`, load/locustfile.py) run for real, briefly, against
the local stack's nginx: it sums up, stops by itself, and refuses other machines."""

import re
import shutil
import subprocess

from local_stack import LocalStack
from paths import ROOT


def locust(host: str, seconds: int = 5) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv") or "uv"
    options = ["--users", "5", "--spawn-rate", "5", "--run-time", f"{seconds}s", "--host", host]
    return subprocess.run(
        [uv, "run", "--frozen", "locust", "--headless", *options, "--only-summary"],
        cwd=ROOT / "load",
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_short_load_run_sums_up_with_no_failure(shared_stack: LocalStack) -> None:
    result = locust(shared_stack.nginx.api_url)
    output = result.stdout + result.stderr
    summary = re.search(
        r"LOAD SUMMARY: (\d+) requests, (\d+) failures, ([\d.]+) req/s, p50", output
    )
    assert summary is not None, output[-3000:]
    print("\n" + output[summary.start() :].splitlines()[0])

    assert result.returncode == 0, output[-3000:]
    assert int(summary.group(1)) > 5
    assert int(summary.group(2)) == 0
    for name in ("GET /api/tasks", "POST /api/tasks", "DELETE /api/tasks/{id}"):
        assert name in output


def test_a_host_other_than_this_machine_is_refused() -> None:
    result = locust("http://192.0.2.1:8000", seconds=2)  # TEST-NET-1: nobody's

    assert result.returncode != 0
    assert "only this machine" in result.stdout + result.stderr
