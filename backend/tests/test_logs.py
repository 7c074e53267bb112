"""What the backend writes to its log: JSON from the first line, and nothing a client sent
through a traceback's local variables."""

import json
import logging
import os
import signal
import subprocess
import sys

import pytest
import structlog

from app.logs import configure_logging
from harness.app import make_settings, running_app
from harness.network import free_port
from harness.polling import wait_for_http
from harness.servers import BACKEND_DIR, UvicornServer


def test_every_line_is_json_from_the_first_start_up_line_to_the_last() -> None:
    server = UvicornServer()
    server.start(wait_path="/api/health")
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    output, _ = server.process.communicate(timeout=15)

    lines = output.splitlines()
    assert lines[0].startswith("{")  # "Started server process", already JSON
    records = [json.loads(line) for line in lines]  # raises on any line that is not
    assert records[0]["event"].startswith("Started server process")
    assert records[-1]["event"].startswith("Finished server process")


def test_tracebacks_carry_no_local_variables(capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging(make_settings(None, log_format="json"))

    def handle(body: str) -> None:
        secret_in_a_local = body.upper()
        raise ValueError(f"could not handle a body of {len(secret_in_a_local)} characters")

    try:
        handle("le mot de passe du client")
    except ValueError:
        logging.getLogger("app.test").exception("request failed")
        structlog.get_logger().exception("request failed, structlog's way")
    output = capfd.readouterr().err

    records = [json.loads(line) for line in output.splitlines()]
    assert len(records) == 2
    for record in records:
        frames = record["exception"][0]["frames"]
        assert [frame["name"] for frame in frames][-1] == "handle"
        assert all("locals" not in frame for frame in frames)
    assert "mot de passe" not in output.lower()


@pytest.mark.anyio
async def test_lines_logged_while_serving_a_request_carry_its_id_and_later_lines_do_not(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # The memory store's smallest cap is its two demo tasks: the next one is refused, and
    # that is logged (app/errors.py) while the request is served.
    settings = make_settings(None, log_format="json", memory_max_tasks=2)
    async with running_app(settings) as client:
        capfd.readouterr()
        refused = await client.post(
            "/api/tasks", json={"title": "une de trop"}, headers={"X-Request-ID": "full-1"}
        )
        # The in-process client serves the request in this very task: whatever the request
        # bound to the logging context must be gone once it is answered.
        structlog.get_logger().info("after the request")
    records = [json.loads(line) for line in capfd.readouterr().err.splitlines()]

    assert refused.status_code == 507
    by_event = {record["event"].split(":")[0]: record for record in records}
    assert by_event["storage full"]["request_id"] == "full-1"
    assert by_event["request"]["request_id"] == "full-1"
    assert "request_id" not in by_event["after the request"]


def test_a_well_known_database_password_is_warned_about(database_url: str) -> None:
    url = database_url.replace("postgres@", "postgres:tasks@")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "main:app", "--port", str(port)],
        cwd=BACKEND_DIR,
        env={**os.environ, "DATABASE_URL": url, "LOG_FORMAT": "json"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/health/ready")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)

    warnings = [json.loads(line) for line in output.splitlines() if "well-known" in line]
    assert len(warnings) == 1
    assert warnings[0]["level"] == "warning"
    assert ":tasks@" not in output  # the URL and its password are never logged
