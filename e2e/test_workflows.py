"""The GitHub Actions workflows, checked here since no runner is reachable: thin (every
`run:` calls a make target or a script of the project), pinned, least-privileged."""

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from paths import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
MAKE_TARGETS = set(re.findall(r"^([a-z0-9-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def load(path: Path) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def steps(path: Path) -> list[dict[str, Any]]:
    return [step for job in load(path)["jobs"].values() for step in job["steps"]]


def test_there_are_the_three_workflows() -> None:
    assert [path.name for path in WORKFLOWS] == ["ci.yml", "images.yml", "release.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_run_step_calls_a_make_target_or_a_project_script(path: Path) -> None:
    for step in steps(path):
        if "run" not in step:
            continue
        words = shlex.split(step["run"].split(">>")[0])
        if words[0] == "make":
            assert words[1] in MAKE_TARGETS, step["run"]
        else:
            script = words[1] if words[0].startswith("python") else words[0]
            assert (ROOT / script).is_file(), step["run"]
            assert script.startswith("scripts/"), step["run"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_by_commit_with_its_version_in_a_comment(path: Path) -> None:
    uses = re.findall(r"uses:\s*(\S+)(.*)", path.read_text())
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{action}: {comment!r}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_least_privilege_and_no_persisted_credentials(path: Path) -> None:
    workflow = load(path)

    assert workflow["permissions"] == {}  # nothing unless a job asks
    assert "pull_request_target" not in workflow["on"]
    assert "cancel-in-progress" in workflow["concurrency"]
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{name} declares no permissions"
        assert job["permissions"].get("contents") in ("read", "write"), name
    for step in steps(path):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
