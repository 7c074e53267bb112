"""Schemathesis as the project runs it (backend/tests/schemathesis.toml, its hooks, a fixed
seed, every check, its stateful phase): against the backend alone
(tests/test_openapi_contract.py) and through nginx (e2e/test_openapi_through_nginx.py)."""

import os
import re
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1]
SEED = "20261129"  # the same cases every run


def schemathesis(schema_url: str, *, max_examples: int) -> tuple[int, str, int | None]:
    """Run Schemathesis on the OpenAPI document at `schema_url` (the server it names, the
    one that serves it); its exit status, its output, and how many cases it generated
    (None if it did not say)."""
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "--config-file=tests/schemathesis.toml",
            "run",
            schema_url,
            "--checks=all",
            "--phases=examples,coverage,fuzzing,stateful",
            f"--seed={SEED}",
            f"--max-examples={max_examples}",
            "--no-color",
        ],
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.utils.schemathesis_hooks"},
        cwd=BACKEND,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    generated = re.search(r"(\d+) generated", output)
    return result.returncode, output, int(generated[1]) if generated else None
