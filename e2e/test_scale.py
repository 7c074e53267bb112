"""`docker compose -f docker-compose.yml -f compose.scale.yaml up -d --scale backend=3`, for
real: nginx spreads the API over every replica (X-Served-By names the one that answered),
notices replicas that come and go, and a replica killed mid-load costs no GET a failure.
Without compose.scale.yaml the replicas would fight over the backend's published port."""

import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from stacks.compose import ComposeStack

pytestmark = pytest.mark.stack

REPLICAS = 3
# As docs/scale-out.md has it: the backends publish no port, nginx serves the API on 8000.
SCALE_FILES = ("-f", "docker-compose.yml", "-f", "compose.scale.yaml")


def backend_containers(stack: ComposeStack) -> list[str]:
    return stack.compose("ps", "--quiet", "backend").stdout.split()


@pytest.fixture(scope="module")
def scaled(compose_app: ComposeStack) -> Iterator[ComposeStack]:
    started = time.monotonic()
    compose_app.compose(*SCALE_FILES, "up", "--detach", "--wait", "--scale", f"backend={REPLICAS}")
    print(f"\n{REPLICAS} backend replicas healthy in {time.monotonic() - started:.0f} s")
    try:
        yield compose_app
    finally:
        compose_app.compose("up", "--detach", "--wait", "--scale", "backend=1")


def served_by(stack: ComposeStack, requests: int) -> Counter[str]:
    answered: Counter[str] = Counter()
    with httpx.Client(base_url=stack.backend_url, timeout=10) as client:
        for _ in range(requests):
            response = client.get("/api/tasks")
            assert response.status_code == 200
            answered[response.headers["x-served-by"]] += 1
    return answered


def test_requests_through_nginx_reach_every_replica(scaled: ComposeStack) -> None:
    containers = backend_containers(scaled)
    answered = served_by(scaled, 300)
    print(f"\n300 GET /api/tasks on :8000 (nginx), answered by: {dict(answered)}")

    assert len(containers) == REPLICAS
    # A container's hostname is the start of its id.
    assert set(answered) == {container[:12] for container in containers}
    assert min(answered.values()) >= 300 / REPLICAS / 2  # round-robin, roughly even


def test_a_replica_killed_under_load_fails_no_get(scaled: ComposeStack) -> None:
    failures: list[str] = []
    done = threading.Event()
    sent = 0

    def load() -> None:
        nonlocal sent
        with httpx.Client(base_url=scaled.frontend_url, timeout=15) as client:
            while not done.is_set():
                try:
                    response = client.get("/api/tasks")
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text[:80]}")
                except httpx.HTTPError as error:
                    failures.append(repr(error))
                sent += 1

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    victim = backend_containers(scaled)[0]
    subprocess.run(["docker", "kill", "--signal", "KILL", victim], check=True, capture_output=True)
    time.sleep(8)  # past nginx's 5 s DNS cache: the dead replica's address is dropped
    done.set()
    for thread in threads:
        thread.join()
    killed = f"replica {victim[:12]} killed"
    print(f"\n{sent} GETs through nginx, {killed} (kill -9) meanwhile: {len(failures)} failed")

    assert sent > 100
    assert failures == []


def test_replicas_without_the_scale_file_fight_over_the_published_port(
    compose_app: ComposeStack,
) -> None:
    """What docs/scale-out.md says happens without compose.scale.yaml: the second backend
    cannot bind 127.0.0.1:8000, which the first holds."""
    # The stack as docker-compose.yml alone makes it: one backend that publishes its port
    # (the replicas above, from compose.scale.yaml, publish none, and would not clash).
    compose_app.compose("up", "--detach", "--wait", "--scale", "backend=1")
    try:
        result = compose_app.compose(
            "up", "--detach", "--scale", "backend=2", "--no-recreate", check=False
        )
        print(
            f"\n--scale backend=2 alone: exit {result.returncode}; {result.stderr.strip()[-200:]}"
        )
        assert result.returncode != 0
        assert "port is already allocated" in result.stderr
    finally:
        compose_app.compose("up", "--detach", "--wait", "--scale", "backend=1")
