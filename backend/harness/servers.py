"""The backend as a real process: `uvicorn main:app`, the way the course starts it."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

from harness.network import free_port
from harness.polling import wait_for_http

BACKEND_DIR = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0


def stop_process(process: subprocess.Popen[bytes] | subprocess.Popen[str] | None, how: int) -> None:
    """Send `how` (a signal) to `process`; kill it if it is still there after 10 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class UvicornServer:
    """`uvicorn main:app` on a free loopback port, which a test may stop and start again.

    Its output goes to `log` (a file, appended to) or, without one, to a pipe the test reads.
    DATABASE_URL comes from `database_url` only, never from the environment running the tests.
    """

    def __init__(
        self,
        *,
        database_url: str | None = None,
        log: Path | None = None,
        env: dict[str, str] | None = None,
        graceful_seconds: int = 5,
        workers: int = 1,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.log = log
        self.extra_env = env or {}
        self.graceful_seconds = graceful_seconds
        self.workers = workers
        self.process: subprocess.Popen[str] | None = None

    def start(self, *, use_database: bool = True, wait_path: str = "/api/health/ready") -> None:
        """Start it (in memory with use_database=False), and wait until `wait_path` says 200."""
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        env |= {"LOG_FORMAT": "json", **self.extra_env}
        if use_database and self.database_url:
            env["DATABASE_URL"] = self.database_url
        output: IO[str] | int = subprocess.PIPE
        if self.log is not None:
            output = self.log.open("a")
        command = [sys.executable, "-m", "uvicorn", "main:app", "--port", str(self.port)]
        command += ["--timeout-graceful-shutdown", str(self.graceful_seconds)]
        command += ["--workers", str(self.workers)] if self.workers > 1 else []
        self.process = subprocess.Popen(
            command, cwd=BACKEND_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )
        if not isinstance(output, int):
            output.close()  # the child has its own copy
        try:
            wait_for_http(f"{self.url}{wait_path}", within=START_TIMEOUT)
        except AssertionError:
            self.stop(signal.SIGKILL)
            raise

    def stop(self, how: int = signal.SIGTERM) -> None:
        stop_process(self.process, how)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
