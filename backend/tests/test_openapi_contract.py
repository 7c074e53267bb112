"""The OpenAPI document tells the truth: Schemathesis generates requests from it (valid and
invalid ones, and sequences through its links), sends them to the real server on each
store, and checks every answer against the document. Any 5xx, any undocumented status,
header or body, any valid request refused or invalid one accepted fails the test."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.servers import UvicornServer
from tests.utils.reporting import report

SEED = "20261129"  # the same cases every run
MINIMUM_CASES = 1_000


@pytest.fixture(params=["memory", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UvicornServer]:
    database_url = None if request.param == "memory" else request.getfixturevalue("database_url")
    running = UvicornServer(database_url=database_url, log=tmp_path / "backend.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_every_answer_matches_the_openapi_document(
    server: UvicornServer, capsys: pytest.CaptureFixture[str]
) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "--config-file=tests/schemathesis.toml",
            "run",
            f"{server.url}/api/openapi.json",
            "--checks=all",
            "--phases=examples,coverage,fuzzing,stateful",
            f"--seed={SEED}",
            "--max-examples=120",
            "--no-color",
        ],
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.utils.schemathesis_hooks"},
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr

    generated = re.search(r"(\d+) generated", output)
    report(capsys, f"\nSchemathesis: {generated[0] if generated else '?'} cases, seed {SEED}")
    assert result.returncode == 0, output[-6000:]
    assert generated is not None
    assert int(generated[1]) >= MINIMUM_CASES
