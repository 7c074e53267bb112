"""The app on Docker Swarm for real (deploy/swarm/stack.yml): three backend replicas behind
nginx, each scraped by Prometheus on its own, rolling updates under load without a failed
request, a killed replica replaced (and seen gone by Prometheus), a broken image rolled
back by itself, data kept across `docker stack rm`, nothing left.
The tests run in order on one stack; the figures are printed."""

import time
from collections.abc import Iterator

import httpx
import pytest
from harness.polling import poll

from stacks.compose import build_images
from stacks.swarm_one_node import SwarmStack, answered_by, docker, locust, swarm_stack

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
    answered = answered_by(swarm.api_url)
    containers = swarm.backend_containers()
    print(f"\n300 GETs through nginx, answered by: {dict(answered)}")

    assert len(containers) == 3
    assert set(answered) == {container[:12] for container in containers}
    # Three replicas started together on an empty database: one migrated, under the
    # advisory lock; the others found the schema ready. The demo tasks exist once.
    assert psql(swarm, "SELECT count(*) FROM alembic_version") == "1"
    titles = psql(swarm, "SELECT title FROM tasks ORDER BY id").splitlines()
    assert [title for title in titles if title in DEMO_TITLES] == list(DEMO_TITLES)


def backends_up(swarm: SwarmStack) -> dict[str, float]:
    """Prometheus's `up` of each backend target: address:port -> 1 or 0."""
    return {
        sample["metric"]["instance"]: float(sample["value"][1])
        for sample in swarm.prometheus_query('up{job="backend"}')
    }


def test_prometheus_scrapes_each_replica_and_sees_a_killed_one_go(swarm: SwarmStack) -> None:
    """Found through Swarm's DNS (tasks.backend), every replica is a target of its own, up;
    a replica killed stops being up (down, then gone from the DNS answer), and the one
    Swarm starts in its place is scraped in turn."""
    replicas = {swarm.address(container): container for container in swarm.backend_containers()}
    every_replica = {f"{address}:8000" for address in replicas}
    started = time.monotonic()
    poll(
        lambda: backends_up(swarm) == dict.fromkeys(every_replica, 1.0) or None,
        within=90,
        what="up == 1 for each backend replica",
        every=1,
    )
    print(f"\nup == 1 for {sorted(every_replica)} after {time.monotonic() - started:.0f} s")

    victim_address, victim = next(iter(replicas.items()))
    victim_target = f"{victim_address}:8000"
    seen: list[dict[str, float]] = []
    killed = time.monotonic()
    docker("kill", "--signal", "KILL", victim)

    def victim_not_up() -> dict[str, float] | None:
        up = backends_up(swarm)
        seen.append(up)
        return up if up.get(victim_target) != 1.0 else None

    after_kill = poll(victim_not_up, within=60, what=f"{victim_target} no longer up", every=1)
    down_after = time.monotonic() - killed
    swarm.wait_replaced(victim, within=120)
    replacements = {f"{swarm.address(c)}:8000" for c in swarm.backend_containers()}

    def replacements_up() -> dict[str, float] | None:
        up = backends_up(swarm)
        seen.append(up)
        return (
            up
            if {target: up.get(target) for target in replacements}
            == dict.fromkeys(replacements, 1.0)
            else None
        )

    poll(replacements_up, within=90, what="the replacement replica scraped", every=1)
    recovered_after = time.monotonic() - killed
    reported_down = any(up.get(victim_target) == 0.0 for up in seen)
    print(
        f"replica {victim_target} killed: not up in Prometheus after {down_after:.0f} s "
        f"({'up == 0 reported' if reported_down else 'gone from the DNS answer'}: "
        f"{after_kill}); every replica up again after {recovered_after:.0f} s"
    )
    assert victim_target not in replacements, "the replacement took the victim's address"
    assert after_kill.get(victim_target) in (0.0, None)


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
