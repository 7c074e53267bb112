"""The real server process: `uvicorn main:app`, its logs and its shutdown."""

import json
import signal
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from harness.servers import UvicornServer


@pytest.fixture
def server() -> Iterator[UvicornServer]:
    """`uvicorn main:app` as the course runs it, on the in-memory store; output to a pipe."""
    running = UvicornServer(graceful_seconds=10)
    running.start(wait_path="/api/health")
    try:
        yield running
    finally:
        running.stop(signal.SIGKILL)


def test_one_json_log_line_per_request_with_its_request_id(server: UvicornServer) -> None:
    process, base_url = server.process, server.url
    assert process is not None

    response = httpx.get(f"{base_url}/api/tasks/77", headers={"X-Request-ID": "trace-42"})
    process.send_signal(signal.SIGTERM)
    stderr, _ = process.communicate(timeout=15)  # stderr goes to stdout: one pipe

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
        "client": "127.0.0.1",
        "duration_ms": 0,
        "timestamp": "",
        "level": "info",
        "logger": "app.access",
    }


@pytest.mark.parametrize(
    ("trusted", "logged"),
    [("127.0.0.1", "203.0.113.7"), ("192.0.2.1", "127.0.0.1")],
    ids=["from a trusted proxy", "from anyone else"],
)
def test_the_log_line_names_the_client_as_uvicorn_resolved_it(trusted: str, logged: str) -> None:
    # The test client plays the proxy (nginx): it connects from 127.0.0.1 and says whom it
    # forwards for. uvicorn believes it only when FORWARDED_ALLOW_IPS trusts 127.0.0.1.
    server = UvicornServer(env={"FORWARDED_ALLOW_IPS": trusted})
    server.start(wait_path="/api/health")
    assert server.process is not None
    try:
        httpx.get(
            f"{server.url}/api/tasks",
            headers={"X-Forwarded-For": "203.0.113.7", "X-Request-ID": "forwarded-1"},
        )
    finally:
        server.process.send_signal(signal.SIGTERM)
        output, _ = server.process.communicate(timeout=15)

    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    [line] = [line for line in lines if line.get("request_id") == "forwarded-1"]
    assert line["client"] == logged


def test_sigterm_lets_the_request_in_flight_finish_then_exits_cleanly(
    server: UvicornServer,
) -> None:
    process, port = server.process, server.port
    assert process is not None
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
    stderr, _ = process.communicate(timeout=15)  # stderr goes to stdout: one pipe
    # uvicorn re-raises the signal once shut down, so the exit status says "SIGTERM".
    assert process.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in stderr
