"""The drills' verbs as a learner runs them (scripts/drill, what `make drill`, `make check`,
`make progress` and `make drill-reset` call), for the drills' tests, with DRILLS_DIR in
`env` so that the learner's own progress is never touched; and a drill's code, loaded
from its folder as scripts/drill loads it."""

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType

from support.paths import ROOT

# Where drill.py and solve.py find workspace.py, effects.py and incidents.py: on pytest's
# path (pytest.ini), as scripts/drill puts it on its own.
DRILLS = ROOT / "drills"


def drill_folders(module: str = "*") -> list[Path]:
    """Every drill's folder (drills/MODULE/NAME/, those with a drill.py)."""
    return sorted(path.parent for path in DRILLS.glob(f"{module}/*/drill.py"))


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"{path.parent.name}_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def drill(verb: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "drill"), verb, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def checked(env: dict[str, str]) -> dict[str, dict[str, object]]:
    """make check's conditions, by id."""
    result = drill("check", "--json", env=env)
    report = json.loads(result.stdout)
    assert (result.returncode == 0) == report["passed"]
    return {condition["id"]: condition for condition in report["conditions"]}
