"""The app on a three-node Swarm (deploy/swarm/stack.yml): three Docker engines in network
namespaces of their own, three managers, the images from a registry (stacks/swarm_three_nodes/).
The tests run in order on one cluster, under load through node1's nginx (writers with
an Idempotency-Key that retry until acknowledged, and readers); each prints its figures:
  1. the replicas run on several nodes, and every one of them answers;
  2. a node holding a backend is drained: its tasks move, no request fails, no
     acknowledged write is lost or doubled;
  3. the backend's image is rolled across the nodes: no request fails;
  4. a node holding a backend loses power: Swarm replaces its tasks on the others; only
     requests in flight there fail, and their retries create nothing twice;
  5. with that manager lost, the two left still accept and carry out a service update.
"""

import os
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from harness.polling import poll
from harness.traffic import lost_or_doubled

from stacks.compose import build_images
from stacks.swarm_one_node import answered_by
from stacks.swarm_three_nodes.cluster import (
    STACK,
    ClusterStack,
    cluster_stack,
    firewall_drops,
    more_requests,
    timed,
    traffic,
)
from stacks.swarm_three_nodes.nodes import SwarmRig, swarm_rig

pytestmark = pytest.mark.stack

NOTHING_LOST: dict[str, list[str]] = {
    "missing": [],
    "doubled": [],
    "unknown": [],
    "unacknowledged": [],
}
WRITERS, READERS = 6, 4
# After a change, the traffic goes on for this many requests more: several seconds, past
# nginx's cache of the backend's addresses, at the rate of these clients.
AFTERWARDS = 300


@pytest.fixture(scope="module")
def rig() -> Iterator[SwarmRig]:
    if os.geteuid() != 0:  # network namespaces, engines of its own
        reason = "the multi-node Swarm rig needs root"
        pytest.fail(reason) if os.environ.get("CI") == "true" else pytest.skip(reason)
    started = time.monotonic()
    with swarm_rig() as made:
        print(
            f"\nrig: 3 engines in their namespaces, a registry, the swarm formed (3 managers) "
            f"in {time.monotonic() - started:.0f} s"
        )
        yield made
    print(f"\nthe multi-node test, rig up to rig removed: {time.monotonic() - started:.0f} s")


@pytest.fixture(scope="module")
def cluster(rig: SwarmRig) -> Iterator[ClusterStack]:
    """Deployed from the images compose builds, through the rig's registry."""
    built = build_images()
    with cluster_stack(rig) as (stack, seconds):
        print(
            f"images built in {built:.0f} s; the app's pushed to the registry in "
            f"{seconds['push']:.0f} s (then Alertmanager's in {seconds['push_third_party']:.0f} "
            f"s), PostgreSQL's and Prometheus' loaded into node1 in {seconds['side_load']:.0f} "
            f"s meanwhile; the stack deployed, pulled by each node and healthy in "
            f"{seconds['deploy']:.0f} s"
        )
        yield stack


def backend_node_to_take(stack: ClusterStack) -> str:
    """A node holding a backend, not node1 (the traffic's entry and PostgreSQL's node)."""
    placement = stack.placement("backend")
    candidates = sorted(node for node in placement if node != stack.entry.name)
    assert candidates, f"no backend off node1: {dict(placement)}"
    return candidates[0]


def test_nodes_reach_each_other_only_on_swarm_ports(cluster: ClusterStack) -> None:
    node1, node2 = cluster.rig.nodes[:2]
    dropped_before = firewall_drops(node1)

    def connects_from_node2(port: int) -> bool:
        probe = f"import socket; socket.create_connection(('{node1.address}', {port}), timeout=1)"
        command = ["ip", "netns", "exec", node2.namespace, "python3", "-c", probe]
        return subprocess.run(command, capture_output=True, timeout=10).returncode == 0

    manager_port, api_port = connects_from_node2(2377), connects_from_node2(8000)
    with socket.create_connection((node1.address, 8000), timeout=2):
        pass  # the test host is let in
    dropped = firewall_drops(node1) - dropped_before
    print(
        f"\nnode2 -> node1: 2377/tcp open: {manager_port}; 8000/tcp (nginx) open: {api_port} "
        f"({dropped} packets dropped by node1's firewall); the test host -> node1:8000: open"
    )

    assert (manager_port, api_port) == (True, False)
    assert dropped > 0


def test_replicas_run_on_several_nodes_and_each_answers(cluster: ClusterStack) -> None:
    backends = cluster.placement("backend")
    frontends = cluster.placement("frontend")
    (db,) = cluster.up("db")
    answered = answered_by(cluster.api_url)
    nodes_of = cluster.node_of_replica()
    by_node = Counter({nodes_of[replica]: count for replica, count in answered.items()})
    every_nginx = {
        node.name: httpx.get(f"http://{node.address}:8000/api/health/ready").status_code
        for node in cluster.rig.nodes
    }
    print(
        f"\nbackends per node: {dict(sorted(backends.items()))}; nginx on "
        f"{sorted(frontends)}; PostgreSQL on {db.node}\n300 GETs through node1's nginx, "
        f"answered per node: {dict(sorted(by_node.items()))}, by {len(answered)} replicas "
        f"(replicas off {db.node} read PostgreSQL over the overlay network, across nodes); "
        f"/api/health/ready through each node's nginx: {every_nginx}"
    )

    assert len(backends) >= 2
    assert sum(backends.values()) == 3
    assert set(frontends) == {node.name for node in cluster.rig.nodes}
    assert db.node == "node1"  # the node labelled tasks-db=true
    assert len(answered) == 3
    assert set(by_node) == set(backends)
    assert set(every_nginx.values()) == {200}


def test_a_drained_node_hands_its_tasks_over_and_no_request_fails(
    cluster: ClusterStack,
) -> None:
    node = backend_node_to_take(cluster)
    before = cluster.placement("backend")
    manager = cluster.manager()
    with traffic(cluster.api_url, writers=WRITERS, readers=READERS) as (log, run_name):
        drained = time.monotonic()
        manager.docker("node", "update", "--availability", "drain", node)
        moved = cluster.wait_backends(within=120, avoid=node)
        poll(
            lambda: not cluster.placement("frontend")[node] or None,
            within=60,
            what=f"nginx off {node}",
        )
        emptied = time.monotonic() - drained
        more_requests(log, AFTERWARDS)
    rows = cluster.rows(run_name)
    after = cluster.placement("backend")
    manager.docker("node", "update", "--availability", "active", node)
    poll(
        lambda: cluster.placement("frontend")[node] == 1 or None,
        within=60,
        what=f"nginx back on {node}",
    )
    print(
        f"\ndrain {node}: backends {dict(sorted(before.items()))} -> "
        f"{dict(sorted(after.items()))}; "
        f"3 backends up elsewhere after {moved:.0f} s, {node} empty after {emptied:.0f} s; "
        f"meanwhile {log.figures()}; rows {sum(rows.values())}"
    )

    assert node not in after
    assert sum(after.values()) == 3
    assert log.failed == []
    assert lost_or_doubled(log, rows) == NOTHING_LOST
    assert len(log.acknowledged) > 50


def test_a_rolling_update_across_the_nodes_fails_no_request(cluster: ClusterStack) -> None:
    image = cluster.push_variant("v2", 'LABEL org.opencontainers.image.version="v2"')
    with traffic(cluster.api_url, writers=WRITERS, readers=READERS) as (log, run_name):
        started = time.monotonic()
        cluster.manager().docker(
            "service", "update", "--detach", "--image", image, f"{STACK}_backend"
        )
        cluster.wait_backends(within=300, image=image)
        poll(lambda: cluster.update_state("completed"), within=120, what="update completed")
        seconds = time.monotonic() - started
        more_requests(log, AFTERWARDS)
    rows = cluster.rows(run_name)
    placement = cluster.placement("backend")
    print(
        f"\nrolling update to {image}: {seconds:.0f} s (start-first, one at a time, then "
        f"Swarm's 20 s watch); new replicas per node {dict(sorted(placement.items()))}; "
        f"meanwhile {log.figures()}; rows {sum(rows.values())}"
    )

    assert {task.image for task in cluster.up("backend")} == {image}
    assert len(placement) >= 2
    assert log.failed == []
    assert lost_or_doubled(log, rows) == NOTHING_LOST


def test_a_node_that_loses_power_is_replaced_and_only_its_requests_in_flight_fail(
    cluster: ClusterStack,
) -> None:
    victim = cluster.rig.node(backend_node_to_take(cluster))
    before = cluster.placement("backend")
    manager = cluster.manager()

    def status_of(node: str) -> str:
        return manager.docker("node", "inspect", "--format", "{{.Status.State}}", node)

    with traffic(cluster.api_url, writers=WRITERS, readers=READERS) as (log, run_name):
        cut = cluster.rig.power_cut(victim)
        seen_down = timed(
            lambda: status_of(victim.name) == "down" or None, within=120, what=f"{victim.name} down"
        )
        full_strength = cluster.wait_backends(within=180, avoid=victim.name)
        replaced = time.monotonic() - cut
        more_requests(log, AFTERWARDS)
    rows = cluster.rows(run_name)
    after = cluster.placement("backend")
    # Only requests in flight at the cut may fail (a create's retries belong to it).
    sent_after_cut = [failed for failed in log.failed if failed.request_started >= cut]
    print(
        f"\npower cut on {victim.name} (a manager): backends {dict(sorted(before.items()))} -> "
        f"{dict(sorted(after.items()))}; Swarm saw it down after {seen_down:.0f} s, 3 backends "
        f"up again {replaced:.0f} s after the cut ({full_strength:.0f} s after it was seen "
        f"down); meanwhile {log.figures()}; failed requests sent after the cut: "
        f"{len(sent_after_cut)}; rows {sum(rows.values())}"
    )

    assert victim.name not in after
    assert sum(after.values()) == 3
    assert sent_after_cut == []
    assert len(log.failed_requests) <= WRITERS + READERS  # at most one in flight per client
    assert lost_or_doubled(log, rows) == NOTHING_LOST
    # A create cut off halfway left its key locked in a session nobody will end: within
    # PostgreSQL's idle_in_transaction_session_timeout (2 s, app/database/connection.py),
    # not when TCP gives up, the retry is answered.
    assert max(log.retried_for, default=0) < 20


def test_with_one_manager_lost_the_cluster_still_takes_a_service_update(
    cluster: ClusterStack,
) -> None:
    manager = cluster.manager()
    managers = manager.docker(
        "node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}"
    ).splitlines()
    started = time.monotonic()
    manager.docker("service", "update", "--detach", "--replicas", "4", f"{STACK}_backend")
    cluster.wait_backends(count=4, within=120)
    seconds = time.monotonic() - started
    placement = cluster.placement("backend")
    print(
        f"\nmanagers: {managers}; `service update --replicas 4` accepted and carried out "
        f"in {seconds:.0f} s: backends per node {dict(sorted(placement.items()))}"
    )

    lost = [line for line in managers if " Down " in f" {line} "]
    assert len(lost) == 1
    assert "Unreachable" in lost[0]
    assert sum(placement.values()) == 4


def test_nothing_of_the_rig_is_left_behind(rig: SwarmRig) -> None:
    rig.remove()
    left = rig.leftovers()
    print(f"\nrig removed; left behind: {left or 'nothing'}")

    assert left == []
