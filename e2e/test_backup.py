"""make backup and make restore on the compose stack: the same tasks with the same ids
come back after `down -v`, ids go on after the highest one, and data someone created is
never overwritten without FORCE=1. Needs a Docker engine."""

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from compose_stack import ComposeStack
from paths import ROOT

pytestmark = pytest.mark.stack


@pytest.fixture
def stack(compose_app: ComposeStack) -> ComposeStack:
    """The run's one compose stack, up, on a fresh database."""
    compose_app.compose("up", "--detach", "--wait")
    compose_app.reset_data()
    return compose_app


def make(stack: ComposeStack, *args: str, backups: Path) -> subprocess.CompletedProcess[str]:
    """A make target, aimed at the test's compose project (COMPOSE_PROJECT_NAME)."""
    env = {**stack.env, "COMPOSE_PROJECT_NAME": stack.project, "BACKUP_DIR": str(backups)}
    return subprocess.run(
        ["make", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def tasks(stack: ComposeStack) -> list[dict[str, object]]:
    listed: list[dict[str, object]] = httpx.get(f"{stack.backend_url}/api/tasks").json()
    return listed


def test_backup_down_v_up_restore_gives_the_same_tasks_and_ids(
    stack: ComposeStack, tmp_path: Path
) -> None:
    with httpx.Client(base_url=stack.backend_url) as client:
        for title in ("Sauvegardée", "Supprimée", "Faite"):
            client.post("/api/tasks", json={"title": title}).raise_for_status()
        client.delete("/api/tasks/4").raise_for_status()
        client.patch("/api/tasks/5", json={"done": True}).raise_for_status()
    before = tasks(stack)

    backup = make(stack, "backup", backups=tmp_path)
    stack.compose("down", "--volumes")
    stack.up()
    fresh = tasks(stack)
    (dump,) = tmp_path.glob("tasks-*.dump")
    restored = make(stack, "restore", f"FILE={dump}", backups=tmp_path)
    after = tasks(stack)
    created = httpx.post(f"{stack.backend_url}/api/tasks", json={"title": "Après"}).json()

    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0
    assert [task["id"] for task in fresh] == [1, 2]
    assert restored.returncode == 0, restored.stderr
    assert after == before
    assert created["id"] == 6  # after the highest id ever given (5), not the highest left


def test_restore_refuses_to_overwrite_created_data_without_force(
    stack: ComposeStack, tmp_path: Path
) -> None:
    assert make(stack, "backup", backups=tmp_path).returncode == 0
    (dump,) = tmp_path.glob("tasks-*.dump")
    httpx.post(f"{stack.backend_url}/api/tasks", json={"title": "À garder"}).raise_for_status()

    refused = make(stack, "restore", f"FILE={dump}", backups=tmp_path)
    kept = [task["title"] for task in tasks(stack)]
    forced = make(stack, "restore", f"FILE={dump}", "FORCE=1", backups=tmp_path)

    assert refused.returncode != 0
    assert "holds 1 task(s) someone created" in refused.stderr
    assert "À garder" in kept
    assert forced.returncode == 0, forced.stderr
    assert [task["title"] for task in tasks(stack)] == ["Apprendre Docker", "Configurer CI/CD"]


def test_backups_folder_is_ignored_by_git() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "backups/tasks-20261129T000000Z.dump"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert ignored.returncode == 0
