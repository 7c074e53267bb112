"""The OpenAPI document tells the truth through nginx too: Schemathesis, as the backend's
contract test runs it (backend/tests/test_openapi_contract.py: its settings, hooks and
seed), against the project's nginx in front of the backend, on both of nginx's ports (the
app's `/api/`, and the API's own port). nginx answers some requests itself (its JSON
errors, its limits): each of those answers must match the document as the backend's do."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.local import LocalStack
from support.paths import ROOT

SEED = "20261129"
MINIMUM_CASES = 500


@pytest.mark.parametrize("listener", ["app", "api"])
def test_every_answer_through_nginx_matches_the_openapi_document(
    shared_stack: LocalStack, listener: str
) -> None:
    nginx = shared_stack.nginx
    base = nginx.url if listener == "app" else nginx.api_url
    backend = ROOT / "backend"
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "--config-file=tests/schemathesis.toml",
            "run",
            f"{base}/api/openapi.json",
            "--checks=all",
            "--phases=examples,coverage,fuzzing,stateful",
            f"--seed={SEED}",
            "--max-examples=60",
            "--no-color",
        ],
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.utils.schemathesis_hooks"},
        cwd=backend,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr

    generated = re.search(r"(\d+) generated", output)
    print(f"\nSchemathesis through nginx ({listener} port): {generated[0] if generated else '?'}")
    assert result.returncode == 0, output[-6000:]
    assert generated is not None
    assert int(generated[1]) >= MINIMUM_CASES
