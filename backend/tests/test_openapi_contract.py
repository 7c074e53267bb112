"""The OpenAPI document tells the truth: Schemathesis generates requests from it (valid and
invalid ones, and sequences through its links), sends them to the real server on each
store, and checks every answer against the document. Any 5xx, any undocumented status,
header or body, any valid request refused or invalid one accepted fails the test."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.contract import SEED, schemathesis
from harness.servers import UvicornServer
from tests.utils.reporting import report

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
    status, output, generated = schemathesis(f"{server.url}/api/openapi.json", max_examples=120)

    report(capsys, f"\nSchemathesis: {generated} generated cases, seed {SEED}")
    assert status == 0, output[-6000:]
    assert generated is not None
    assert generated >= MINIMUM_CASES
