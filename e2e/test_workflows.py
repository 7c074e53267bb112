"""The GitHub Actions workflows, checked here since no runner is reachable: thin (every
`run:` calls a make target or a script of the project), pinned, least-privileged."""

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.paths import ROOT

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
            # the project's scripts, or the test rig's (.ci/: what only CI needs)
            assert script.startswith(("scripts/", ".ci/")), step["run"]


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


# actionlint, with shellcheck, run by `make test` over .github/workflows. Each fault below
# is planted in a copy of a workflow and must fail it, named by actionlint's rule.
ACTIONLINT = ROOT / ".tools" / "bin" / "actionlint"


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTIONLINT), "-oneline", "-no-color", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def by_major_version(text: str) -> str:
    """The workflow with each action read at the major version its comment names
    (`owner/action@<commit> # v7.0.1` becomes `owner/action@v7`): actionlint knows the
    inputs of popular actions by their version tags, never by commit."""
    return re.sub(r"(uses:\s*[^@\s]+)@[0-9a-f]{40}\s*# v(\d+)\.[\d.]+", r"\1@v\2", text)


def test_actionlint_passes_the_workflows() -> None:
    result = actionlint(*WORKFLOWS)

    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_passes_the_actions_inputs(tmp_path: Path) -> None:
    copies = []
    for path in WORKFLOWS:
        copy = tmp_path / path.name
        copy.write_text(by_major_version(path.read_text()))
        copies.append(copy)

    result = actionlint(*copies)

    assert "@v7\n" in copies[0].read_text() + "\n"  # read by version, not by commit
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("workflow", "text", "broken_text", "rule"),
    [
        # A key GitHub does not know (runs_on for runs-on).
        ("release.yml", "runs-on:", "runs_on:", "syntax-check"),
        # A runner label that does not exist.
        ("release.yml", "ubuntu-24.04", "ubuntu-2404", "runner-label"),
        # A context property that does not exist (github.shaa).
        ("images.yml", "${{ github.sha }}", "${{ github.shaa }}", "expression"),
        # An expression left open.
        ("images.yml", "outputs.tags }}", "outputs.tags", "expression"),
        # A step output read from a step that does not exist.
        ("images.yml", "steps.build.outputs", "steps.bulid.outputs", "expression"),
        # A job waiting for one that does not exist.
        ("release.yml", "timeout-minutes:", "needs: [build]\n    timeout-minutes:", "job-needs"),
        # An input the action does not have (checked with the actions read by version).
        ("release.yml", "persist-credentials:", "persist-credential:", "action"),
        ("images.yml", "platforms: linux/amd64", "platform: linux/amd64", "action"),
        # shellcheck: an unquoted variable in a run: script (word splitting, globbing).
        ("release.yml", '"${GITHUB_REF_NAME}"', "$GITHUB_REF_NAME", "shellcheck"),
    ],
)
def test_actionlint_fails_a_workflow_with_a_planted_fault(
    workflow: str, text: str, broken_text: str, rule: str, tmp_path: Path
) -> None:
    original = (ROOT / ".github" / "workflows" / workflow).read_text()
    assert text in original  # the fault is really planted
    broken = tmp_path / workflow
    broken.write_text(by_major_version(original.replace(text, broken_text, 1)))

    result = actionlint(broken)

    assert result.returncode == 1, result.stdout + result.stderr
    reported = result.stdout.splitlines()
    assert reported, result.stderr
    assert all(error.endswith(f"[{rule}]") for error in reported), result.stdout
