"""make backup and make restore on the compose stack: the same tasks with the same ids
come back after `down -v`, ids go on after the highest one, and data someone created is
never overwritten without FORCE=1. Needs a Docker engine."""

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from stacks.compose import ComposeStack
from support.paths import ROOT

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


def create(stack: ComposeStack, title: str, key: str) -> httpx.Response:
    return httpx.post(
        f"{stack.backend_url}/api/tasks", json={"title": title}, headers={"Idempotency-Key": key}
    )


def test_after_a_restore_ids_go_on_above_both_databases_and_no_key_maps_to_another_task(
    stack: ComposeStack, tmp_path: Path
) -> None:
    """The report's case: backup, three tasks created (one by key), FORCE=1 restore, one
    more task. Its id is above the three (not the first of them again); a retried key
    from before the restore replays its own task, never the new one."""
    before_backup = create(stack, "Avant la sauvegarde", "key-before").json()
    assert make(stack, "backup", backups=tmp_path).returncode == 0
    (dump,) = tmp_path.glob("tasks-*.dump")
    after_backup = [create(stack, f"Après {n}", f"key-after-{n}").json() for n in range(3)]

    restored = make(stack, "restore", f"FILE={dump}", "FORCE=1", backups=tmp_path)
    new = create(stack, "Après la restauration", "key-new").json()
    retried = create(stack, "Après 0", "key-after-0")
    replayed_before = create(stack, "Avant la sauvegarde", "key-before")
    lost = httpx.get(f"{stack.backend_url}/api/tasks/{after_backup[0]['id']}")

    assert restored.returncode == 0, restored.stderr
    highest = max(task["id"] for task in after_backup)
    assert new["id"] > highest  # not after_backup[0]["id"] again
    assert retried.status_code == 201
    assert retried.json() == after_backup[0]  # its first answer: that task, never `new`
    assert replayed_before.json() == before_backup
    assert lost.status_code == 404  # rewound by the restore, and its id never given again
    assert f"new tasks get ids from {highest + 1} on" in restored.stdout


def test_a_restore_into_a_younger_database_drops_keys_whose_ids_the_backup_uses(
    stack: ComposeStack, tmp_path: Path
) -> None:
    """Restored into a fresh stack whose key gave id 3, from a backup where 3 is another
    task: retrying that key must not answer with the backup's task 3."""
    for n in range(3):
        create(stack, f"Sauvegardée {n}", f"backup-{n}").raise_for_status()  # ids 3, 4, 5
    assert make(stack, "backup", backups=tmp_path).returncode == 0
    (dump,) = tmp_path.glob("tasks-*.dump")
    stack.reset_data()
    fresh = create(stack, "Sur la pile neuve", "fresh-key").json()  # id 3 again, here

    restored = make(stack, "restore", f"FILE={dump}", "FORCE=1", backups=tmp_path)
    retried = create(stack, "Sur la pile neuve", "fresh-key").json()
    backups_third = httpx.get(f"{stack.backend_url}/api/tasks/3").json()

    assert restored.returncode == 0, restored.stderr
    assert fresh["id"] == 3
    assert backups_third["title"] == "Sauvegardée 0"
    assert retried["title"] == "Sur la pile neuve"
    assert retried["id"] > 5  # a new task above both databases' ids, not the backup's 3


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
