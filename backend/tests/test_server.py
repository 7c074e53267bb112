"""The real server process: `uvicorn main:app`, its logs and its shutdown."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.postgres import free_port

BACKEND_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`uvicorn main:app` as the course runs it, on the in-memory store."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "main:app",
            "--port",
            str(port),
            "--timeout-graceful-shutdown",
            "10",
        ],
        cwd=BACKEND_DIR,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base_url}/api/health")
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the server did not start") from None
            time.sleep(0.05)
    try:
        yield process, base_url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_one_json_log_line_per_request_with_its_request_id(
    server: tuple[subprocess.Popen[str], str],
) -> None:
    process, base_url = server

    response = httpx.get(f"{base_url}/api/tasks/77", headers={"X-Request-ID": "trace-42"})
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=15)

    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("request_id") == "trace-42"]
    assert response.headers["x-request-id"] == "trace-42"
    assert len(requests) == 1
    assert requests[0] | {"duration_ms": 0, "timestamp": ""} == {
        "event": "request",
        "method": "GET",
        "path": "/api/tasks/77",
        "status": 404,
        "request_id": "trace-42",
        "duration_ms": 0,
        "timestamp": "",
        "level": "info",
        "logger": "app.access",
    }


def test_sigterm_lets_the_request_in_flight_finish_then_exits_cleanly(
    server: tuple[subprocess.Popen[str], str],
) -> None:
    process, base_url = server
    port = int(base_url.rsplit(":", 1)[1])
    body = json.dumps({"title": "envoyée pendant l'arrêt"}).encode()

    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(
            b"POST /api/tasks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body[:10]
        )
        time.sleep(0.3)  # the request is now in flight: uvicorn has its headers
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        connection.sendall(body[10:])
        response = connection.makefile("rb").read().decode()

    assert response.startswith("HTTP/1.1 201")
    assert "envoy\u00e9e pendant l'arr\u00eat" in response
    _, stderr = process.communicate(timeout=15)
    # uvicorn re-raises the signal once shut down, so the exit status says "SIGTERM".
    assert process.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in stderr
