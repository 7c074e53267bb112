"""The app on Docker Swarm for real (deploy/swarm/stack.yml): three backend replicas behind
nginx, rolling updates under load without a failed request, a killed replica replaced, a
broken image rolled back by itself, data kept across `docker stack rm`, nothing left.
The tests run in order on one stack; the figures are printed."""

import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from harness.polling import poll

from compose_stack import build_images
from swarm_stack import SwarmStack, docker, locust, swarm_stack

pytestmark = pytest.mark.stack

DEMO_TITLES = ("Apprendre Docker", "Configurer CI/CD")


@pytest.fixture(scope="module")
def swarm() -> Iterator[SwarmStack]:
    """Deployed from the images compose builds (tasks-backend:dev, ...)."""
    build_images()
    with swarm_stack() as stack:
        seconds = stack.deploy()
        print(f"\nstack deployed: 3 backends, PostgreSQL and nginx healthy in {seconds:.0f} s")
        yield stack


def psql(stack: SwarmStack, sql: str) -> str:
    (container,) = stack.containers("db")
    return docker("exec", container, "psql", "-U", "tasks", "-d", "tasks", "-tAc", sql)


def test_three_replicas_share_the_requests_and_migrated_once(swarm: SwarmStack) -> None:
    answered: Counter[str] = Counter()
    with httpx.Client(base_url=swarm.api_url, timeout=10) as client:
        for _ in range(300):
            response = client.get("/api/tasks")
            assert response.status_code == 200
            answered[response.headers["x-served-by"]] += 1
    containers = swarm.backend_containers()
    print(f"\n300 GETs through nginx, answered by: {dict(answered)}")

    assert len(containers) == 3
    assert set(answered) == {container[:12] for container in containers}
    # Three replicas started together on an empty database: one migrated, under the
    # advisory lock; the others found the schema ready. The demo tasks exist once.
    assert psql(swarm, "SELECT count(*) FROM alembic_version") == "1"
    titles = psql(swarm, "SELECT title FROM tasks ORDER BY id").splitlines()
    assert [title for title in titles if title in DEMO_TITLES] == list(DEMO_TITLES)


def test_a_rolling_update_under_load_fails_no_request(swarm: SwarmStack) -> None:
    image = swarm.build_variant("v2", 'LABEL org.opencontainers.image.version="v2"')
    started = time.monotonic()
    with locust(swarm, users=20) as totals:
        docker("service", "update", "--detach", "--image", image, swarm.backend)
        swarm.wait_converged(within=300, image=image)
        # and Swarm's own verdict, after its monitor period
        poll(lambda: swarm.update_state("completed"), within=120, what="update completed")
        converged = time.monotonic() - started
    print(
        f"rolling update to {image}: {converged:.0f} s; under load meanwhile: "
        f"{totals['requests']} requests, {totals['failures']} failed"
    )

    assert totals["requests"] > 100
    assert totals["failures"] == 0
    assert {task["Image"].split("@")[0] for task in swarm.running()} == {image}


def test_a_replica_killed_under_load_is_replaced_and_no_get_fails(swarm: SwarmStack) -> None:
    victim = swarm.backend_containers()[0]
    with locust(swarm, tags="read", users=20) as totals:
        killed = time.monotonic()
        docker("kill", "--signal", "KILL", victim)
        swarm.wait_replaced(victim, within=120)
        replaced = time.monotonic() - killed
        time.sleep(6)  # and past nginx's 5 s DNS cache
    print(
        f"replica {victim[:12]} killed (kill -9): Swarm had 3 healthy again in {replaced:.0f} s; "
        f"{totals['requests']} GETs meanwhile, {totals['failures']} failed"
    )

    assert victim not in swarm.backend_containers()
    assert totals["requests"] > 50
    assert totals["failures"] == 0


def test_an_image_that_never_gets_healthy_is_rolled_back_by_itself(swarm: SwarmStack) -> None:
    before = {task["Image"].split("@")[0] for task in swarm.running()}
    # Serves on another port than the one the health check asks: never healthy.
    broken = swarm.build_variant(
        "broken", 'CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8001"]'
    )
    started = time.monotonic()
    docker("service", "update", "--detach", "--image", broken, swarm.backend)

    state = poll(
        lambda: swarm.update_state("rollback_completed"),
        within=300,
        what="the update rolled back",
        every=2,
    )
    swarm.wait_converged(within=120)
    seconds = time.monotonic() - started
    print(f"update to a never-healthy image: rolled back by Swarm in {seconds:.0f} s")

    assert "rollback" in state
    assert {task["Image"].split("@")[0] for task in swarm.running()} == before
    assert httpx.get(f"{swarm.api_url}/api/tasks").status_code == 200


def test_the_data_survives_stack_rm_and_a_new_deploy(swarm: SwarmStack) -> None:
    created = httpx.post(f"{swarm.api_url}/api/tasks", json={"title": "Survit à docker stack rm"})
    assert created.status_code == 201

    swarm.remove()
    seconds = swarm.deploy()
    print(f"stack rm, then deployed again: serving in {seconds:.0f} s")

    task = httpx.get(f"{swarm.api_url}/api/tasks/{created.json()['id']}")
    assert task.status_code == 200
    assert task.json() == created.json()


def test_nothing_is_left_behind(swarm: SwarmStack) -> None:
    swarm.remove_everything()
    left = swarm.leftovers()
    swarm.restore_engine()

    assert left == []
    if swarm.found_inactive:
        assert docker("info", "--format", "{{.Swarm.LocalNodeState}}") == "inactive"
