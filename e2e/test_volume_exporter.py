"""The volume alerts need the volume's series: the volume exporter, run as
docker-compose.yml runs it, measures a volume on overlay too, as it is where Docker's
data root is itself on overlay (Docker in a container without a volume for its data).
node-exporter's default list of skipped file system types has overlay in it. Needs a
Docker engine, and root (to mount an overlay file system)."""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from harness.polling import poll

from support.paths import ROOT

pytestmark = pytest.mark.stack

MOUNT_POINT = "/var/lib/postgresql/data"


def compose_service(name: str) -> dict[str, object]:
    service: dict[str, object] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())[
        "services"
    ][name]
    return service


@pytest.fixture
def overlay_volume(tmp_path: Path) -> Iterator[Path]:
    """An overlay file system mounted on the host, to mount into the exporter."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to mount an overlay file system")
    layers = {name: tmp_path / name for name in ("lower", "upper", "work", "merged")}
    for path in layers.values():
        path.mkdir()
    options = f"lowerdir={layers['lower']},upperdir={layers['upper']},workdir={layers['work']}"
    subprocess.run(
        ["mount", "-t", "overlay", "overlay", "-o", options, str(layers["merged"])], check=True
    )
    try:
        yield layers["merged"]
    finally:
        subprocess.run(["umount", str(layers["merged"])], check=False)


def test_the_volume_exporter_measures_a_volume_on_overlay(overlay_volume: Path) -> None:
    service = compose_service("volume-exporter")
    # As compose runs it: its command ($$ is compose's escaped $), user and image.
    command = [str(argument).replace("$$", "$") for argument in service["command"]]  # type: ignore[attr-defined]
    image = os.environ.get("NODE_EXPORTER_IMAGE") or "prom/node-exporter:v1.9.1"
    container = subprocess.run(
        ["docker", "run", "--detach", "--rm", "--user", str(service["user"]), "--read-only",
         "--publish", "127.0.0.1::9100", "--volume", f"{overlay_volume}:{MOUNT_POINT}:ro",
         image, *command],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    try:
        port = (
            subprocess.run(
                ["docker", "port", container, "9100/tcp"],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.split(":")[-1]
            .strip()
        )

        def measured() -> str | None:
            try:
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except httpx.HTTPError:
                return None
            lines = [line for line in metrics.splitlines() if f'mountpoint="{MOUNT_POINT}"' in line]
            return "\n".join(lines) if "node_filesystem_size_bytes" in metrics else None

        series = poll(measured, within=30, what="the exporter answering", every=0.5)
    finally:
        subprocess.run(["docker", "rm", "--force", container], capture_output=True, check=False)

    print(f"\n{series}")
    assert "node_filesystem_size_bytes{" in series
    assert 'fstype="overlay"' in series
