"""Every drill proven on the real engine, as a learner meets it: `make drill NAME=...` sets
it up, the learner's first move (`docker compose up -d --build` in the workspace), then
`make check` must fail with the drill's named message; the drill's solve script, then
`make check` must pass; `make drill-reset` must leave nothing of it on the engine. Each
step's time is printed. The learner's own progress is never touched (DRILLS_DIR)."""

import os
import time
import tomllib
from pathlib import Path

import pytest
from workspace import Workspace

from support.drill_verbs import DRILLS, checked, drill, drill_folders, load

pytestmark = pytest.mark.stack

# The incident drills (drills/operations/) have a test of their own: test_incident_drills.py.
INCIDENTS = "operations"

# A learner's first move, unless the drill says otherwise (FIRST_MOVE).
FIRST_MOVE = ("docker", "compose", "up", "-d", "--build")


def learner_drill_folders() -> list[Path]:
    return [folder for folder in drill_folders() if folder.parent.name != INCIDENTS]


def test_every_drill_listed_has_a_folder_and_each_folder_is_listed() -> None:
    listed = {
        name
        for module in DRILLS.glob("*/module.toml")
        for name in tomllib.loads(module.read_text())["drills"]
    }
    folders = {path.name for path in drill_folders()}
    assert listed == folders
    assert len(folders) >= 10


@pytest.mark.parametrize("folder", learner_drill_folders(), ids=lambda folder: folder.name)
def test_the_drill_fails_before_its_solve_and_passes_after(folder: Path, drills_dir: Path) -> None:
    name = folder.name
    env = {**os.environ, "DRILLS_DIR": str(drills_dir)}
    workspace = Workspace(name, home=drills_dir)
    assert workspace.leftovers() == [], f"the engine holds {name}'s things before it starts"
    definition = load(folder / "drill.py")
    times: dict[str, float] = {}
    try:
        started = time.monotonic()
        setup = drill("start", name, env=env)
        assert setup.returncode == 0, setup.stdout + setup.stderr
        assert f"Workspace: {workspace.path}" in setup.stdout
        first_move = getattr(definition, "FIRST_MOVE", FIRST_MOVE)
        if first_move:
            workspace.run(*first_move, timeout=900)
        times["set-up"] = time.monotonic() - started

        started = time.monotonic()
        before = checked(env)
        times["check (broken)"] = time.monotonic() - started
        failing, words = definition.BROKEN
        assert before[failing]["ok"] is False, before
        assert words in str(before[failing]["message"]), before[failing]

        started = time.monotonic()
        load(folder / "solve.py").solve(workspace)
        times["solve"] = time.monotonic() - started

        started = time.monotonic()
        after = checked(env)
        times["check (solved)"] = time.monotonic() - started
        assert all(condition["ok"] for condition in after.values()), after
        progress = drill("progress", env=env).stdout
        assert name in progress
    finally:
        started = time.monotonic()
        reset = drill("reset", name, env=env)
        times["reset"] = time.monotonic() - started
        left = workspace.leftovers()
        print(
            f"\n{name}: " + ", ".join(f"{step} {seconds:.0f} s" for step, seconds in times.items())
        )
    assert reset.returncode == 0, reset.stderr
    assert left == [], f"make drill-reset left these behind: {left}"
    assert not workspace.path.exists()
