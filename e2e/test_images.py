"""The Docker module's image lessons, proven on our Dockerfiles: dependencies are a layer
of their own, rebuilt when the lock file changes and not when the code does; and
.dockerignore keeps secrets, history, local environments and tests out. Needs a Docker
engine; builds copies of backend/ and frontend/ in temporary folders."""

import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from docker_builds import buildkit_env, stand_in_build_args
from paths import ROOT

pytestmark = pytest.mark.stack


def docker_build(context: Path, tag: str, target: str | None = None) -> tuple[str, float]:
    """`docker build` with BuildKit; returns the image id and the seconds it took."""
    env = buildkit_env()
    command = ["docker", "build", "--quiet", "-t", tag, *stand_in_build_args()]
    if target:
        command += ["--target", target]
    started = time.monotonic()
    result = subprocess.run(
        [*command, str(context)], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr[-3000:]
    image_id = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", tag],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return image_id, time.monotonic() - started


@pytest.fixture
def tags() -> Iterator[list[str]]:
    """Image tags a test builds, removed afterwards."""
    made: list[str] = []
    yield made
    if made:
        subprocess.run(["docker", "rmi", "--force", *made], capture_output=True, check=False)


def copy_of(service: str, tmp_path: Path) -> Path:
    context = tmp_path / service
    shutil.copytree(
        ROOT / service, context, ignore=shutil.ignore_patterns("node_modules", ".venv", "dist")
    )
    return context


def append(path: Path, text: str) -> None:
    """Add `text` and a marker of this run, so that no earlier build's cache fits."""
    path.write_text(path.read_text() + text.replace("changed", f"changed {uuid.uuid4().hex}"))


@pytest.mark.parametrize(
    ("service", "code_change", "lock_change"),
    [
        (
            "backend",
            lambda c: append(c / "app" / "app.py", "# changed\n"),
            lambda c: append(c / "uv.lock", "# changed\n"),
        ),
        (
            "frontend",
            lambda c: append(c / "src" / "App.tsx", "// changed\n"),
            lambda c: append(c / "bun.lock", "\n// changed\n"),
        ),
    ],
)
def test_code_changes_reuse_the_dependency_layer_lock_changes_rebuild_it(
    service: str,
    code_change: Callable[[Path], None],
    lock_change: Callable[[Path], None],
    tmp_path: Path,
    tags: list[str],
) -> None:
    context = copy_of(service, tmp_path)
    tag = f"tasks-cache-test-{service}"
    tags.extend([f"{tag}:deps", f"{tag}:image"])
    before, _ = docker_build(context, f"{tag}:deps", target="deps")
    docker_build(context, f"{tag}:image")

    code_change(context)
    after_code, _ = docker_build(context, f"{tag}:deps", target="deps")
    _, rebuild_seconds = docker_build(context, f"{tag}:image")
    lock_change(context)
    after_lock, lock_seconds = docker_build(context, f"{tag}:deps", target="deps")

    print(
        f"\n{service}: rebuild after a one-line code change {rebuild_seconds:.1f} s "
        f"(dependency layer reused); after a lock file change, the dependency stage "
        f"alone {lock_seconds:.1f} s (rebuilt)"
    )
    assert after_code == before
    assert after_lock != before


DECOYS = {
    ".env": "SECRET=decoy\n",
    ".git/HEAD": "ref: refs/heads/decoy\n",
    ".venv/decoy.txt": "a local virtual environment\n",
    "node_modules/decoy/index.js": "// local dependencies\n",
}


@pytest.mark.parametrize(
    ("service", "target", "workdir", "test_decoy"),
    [
        ("backend", None, "/app", "tests/test_decoy.py"),
        ("frontend", "build", "/app", "src/decoy.test.tsx"),
    ],
)
def test_dockerignore_keeps_decoys_out_of_the_image(
    service: str,
    target: str | None,
    workdir: str,
    test_decoy: str,
    tmp_path: Path,
    tags: list[str],
) -> None:
    context = copy_of(service, tmp_path)
    for relative, text in {**DECOYS, test_decoy: "decoy\n"}.items():
        (context / relative).parent.mkdir(parents=True, exist_ok=True)
        (context / relative).write_text(text)
    tag = f"tasks-ignore-test-{service}:latest-test"
    tags.append(tag)
    docker_build(context, tag, target=target)

    # Every decoy has "decoy" in its file name, or is .env or .git (the backend's own
    # /app/.venv is the image's environment, built in it).
    listing = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--entrypoint",
            "find",
            tag,
            workdir,
            "-name",
            "*decoy*",
            "-o",
            "-name",
            ".env",
            "-o",
            "-name",
            ".git",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    assert listing.split() == []
