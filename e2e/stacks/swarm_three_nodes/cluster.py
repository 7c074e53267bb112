"""deploy/swarm/stack.yml on the test rig's three nodes (nodes.py), from images
pushed to the rig's registry, and what the multi-node test needs to watch it: where the
tasks run, which node answered, the rows in PostgreSQL, traffic in the background."""

import asyncio
import json
import os
import re
import secrets
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from harness.polling import poll
from harness.traffic import SETTLE_SECONDS, TrafficLog, drive

from stacks.swarm_one_node import STACK_FILE
from stacks.swarm_three_nodes.nodes import Node, SwarmRig, run

T = TypeVar("T")
STACK = "tasks"
DB_LABEL = "tasks-db=true"
# The app's images, as compose builds them -> their names in the registry.
APP_IMAGES = {
    "BACKEND_IMAGE": ("tasks-backend:dev", "backend:dev"),
    "FRONTEND_IMAGE": ("tasks-frontend:dev", "frontend:dev"),
}
# Public images of the services pinned to the node labelled tasks-db=true (node1), where
# their volumes live. On real machines each node pulls them from Docker Hub; the rig's
# nodes reach no public registry, and the registry would take long to take them in
# (PostgreSQL's stand-in is 600 MB to compress): node1 is given them directly. The other
# public images (Alertmanager's: it may run anywhere) go through the rig's registry.
PINNED_TO_NODE1 = ("POSTGRES_IMAGE", "PROMETHEUS_IMAGE")
# Published by nginx on every node (mode: host): the API's port.
API_PORT = 8000


@dataclass(frozen=True)
class Task:
    """A Swarm task as the managers see it."""

    id: str
    node: str  # the node's hostname (node1 ...)
    desired: str  # running, shutdown ...
    state: str  # running, starting (health check not passed yet), shutdown ...
    image: str
    container: str  # its container's id, "" before it has one

    @property
    def up(self) -> bool:
        """Meant to run, and running: healthy, for a service with a health check."""
        return self.desired == "running" and self.state == "running"


@dataclass
class ClusterStack:
    rig: SwarmRig
    env: dict[str, str]
    work: Path

    @property
    def entry(self) -> Node:
        """Where the test's traffic comes in: node1's nginx, as behind a load balancer.
        node1 also holds PostgreSQL: the proofs take other nodes away, never this one."""
        return self.rig.nodes[0]

    @property
    def api_url(self) -> str:
        return f"http://{self.entry.address}:{API_PORT}"

    def manager(self) -> Node:
        """node1, the manager the test talks to (always alive)."""
        return self.entry

    def deploy(self) -> None:
        subprocess.run(
            ["docker", "-H", self.manager().host, "stack", "deploy",
             "-c", str(STACK_FILE), STACK],
            env=self.env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip

    def tasks(self, service: str) -> list[Task]:
        """Every task of the stack's `service` the managers remember (the current ones and
        a few ended ones per replica)."""
        manager = self.manager()
        ids = manager.docker("service", "ps", "--quiet", "--no-trunc", f"{STACK}_{service}")
        if not ids:
            return []
        hostnames = dict(
            line.split()
            for line in manager.docker(
                "node", "ls", "--format", "{{.ID}} {{.Hostname}}"
            ).splitlines()
        )
        inspected = json.loads(manager.docker("inspect", *sorted(set(ids.split()))))
        return [
            Task(
                id=task["ID"],
                node=hostnames.get(task.get("NodeID", ""), ""),
                desired=task["DesiredState"],
                state=task["Status"]["State"],
                image=task["Spec"]["ContainerSpec"]["Image"].split("@")[0],
                container=task["Status"].get("ContainerStatus", {}).get("ContainerID", ""),
            )
            for task in inspected
        ]

    def up(self, service: str) -> list[Task]:
        return [task for task in self.tasks(service) if task.up]

    def placement(self, service: str) -> Counter[str]:
        """Node -> how many of the service's tasks run there."""
        return Counter(task.node for task in self.up(service))

    def node_of_replica(self) -> dict[str, str]:
        """X-Served-By (a container's hostname: the first 12 characters of its id) -> the
        node it ran on, for every backend task the managers remember."""
        return {task.container[:12]: task.node for task in self.tasks("backend") if task.container}

    def wait_backends(
        self,
        *,
        count: int = 3,
        within: float,
        image: str | None = None,
        avoid: str | None = None,
    ) -> float:
        """Until exactly `count` backend tasks are up (on `image`, and off node `avoid`, if
        given); the seconds it took."""

        def ready() -> bool | None:
            tasks = self.tasks("backend")
            up = [task for task in tasks if task.up]
            wanted = [t for t in up if (image is None or t.image == image) and t.node != avoid]
            meant = [task for task in tasks if task.desired == "running"]
            return True if len(wanted) == count == len(meant) == len(up) else None

        return timed(ready, within=within, what=f"{count} backends up")

    def update_state(self, wanted: str) -> str | None:
        """The backend's update status (JSON) once its state is `wanted`, else None."""
        status = self.manager().docker(
            "service", "inspect", "--format", "{{json .UpdateStatus}}", f"{STACK}_backend"
        )
        return status if f'"State":"{wanted}"' in status else None

    def rows(self, run_name: str) -> Counter[str]:
        """The tasks table's titles starting with `run_name`, and how many rows each."""
        (db,) = list(self.up("db"))
        node = self.rig.node(db.node)
        titles = node.docker(
            "exec", db.container, "psql", "-U", "tasks", "-d", "tasks", "-tAc",
            f"SELECT title FROM tasks WHERE title LIKE '{run_name} %'",  # noqa: S608 (our name)
        )  # fmt: skip
        return Counter(line for line in titles.splitlines() if line)

    def push_variant(self, tag: str, dockerfile_line: str) -> str:
        """A new backend image (the deployed one plus a line) in the registry, as `tag`."""
        pushed_dev = f"127.0.0.1:{self.rig.registry_push_port}/tasks/backend:dev"
        local = f"tasks-backend:swarm-{self.rig.id}-{tag}"
        subprocess.run(
            ["docker", "build", "--quiet", "-t", local, "-"],
            input=f"FROM {pushed_dev}\n{dockerfile_line}\n",
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
            text=True, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        self.rig.pushed.append(local)
        return self.rig.push(local, f"backend:{tag}")


def timed(check: Callable[[], T | None], *, within: float, what: str) -> float:
    """poll(), returning the seconds until `check` held."""
    started = time.monotonic()
    poll(check, within=within, what=what, every=0.5)
    return time.monotonic() - started


@contextmanager
def cluster_stack(rig: SwarmRig) -> Iterator[tuple[ClusterStack, dict[str, float]]]:
    """The images pushed to the rig's registry (or given to node1), node1 labelled for
    the volumes, the stack deployed from them; yields it with the seconds each step took."""
    seconds: dict[str, float] = {}
    work = rig.work / "stack"
    work.mkdir()
    password = work / "postgres_password"
    password.write_text(secrets.token_urlsafe(24))
    third_party = {
        variable: os.environ.get(variable, default)
        for variable, default in re.findall(
            r"\$\{([A-Z_]+_IMAGE):-([^}]+)\}", STACK_FILE.read_text()
        )
        if variable not in APP_IMAGES
    }
    pinned = {variable: third_party.pop(variable) for variable in PINNED_TO_NODE1}
    pulled_as: dict[str, str] = {}

    def push_all() -> None:
        # One after the other: a push finds the layers an earlier one sent (the base
        # image's) in the registry already, instead of compressing them again at once.
        started = time.monotonic()
        for variable, (image, name) in APP_IMAGES.items():
            pulled_as[variable] = rig.push(image, name).rsplit(":", 1)[0]
        seconds["push"] = time.monotonic() - started
        for variable, image in third_party.items():
            pulled_as[variable] = rig.push(image, f"third-party/{image.rsplit('/', 1)[-1]}")
        seconds["push_third_party"] = time.monotonic() - started - seconds["push"]

    def side_load() -> None:
        started = time.monotonic()
        rig.side_load(list(pinned.values()), rig.nodes[0])
        seconds["side_load"] = time.monotonic() - started

    # At once: pushing compresses (CPU), loading copies (disk).
    threads = [threading.Thread(target=push_all), threading.Thread(target=side_load)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {"push_third_party", "side_load"} <= set(seconds), "a push or load failed (above)"

    stack = ClusterStack(
        rig=rig,
        work=work,
        env={
            **os.environ,
            "POSTGRES_PASSWORD_SECRET": str(password),
            "SERVED_BY_HEADER": "true",
            # The images by the names the nodes know them by: the rig's registry's, and
            # those node1 was given directly.
            **pulled_as,
            "VERSION": "dev",
            **pinned,
        },
    )
    stack.manager().docker("node", "update", "--label-add", DB_LABEL, stack.entry.name)
    started = time.monotonic()
    stack.deploy()
    stack.wait_backends(within=240)
    # nginx on every node (mode: global), the others once.
    wanted = {"db": 1, "frontend": len(rig.nodes), "prometheus": 1, "alertmanager": 1}
    poll(
        lambda: all(len(stack.up(service)) == count for service, count in wanted.items()) or None,
        within=120,
        what="every service up",
        every=0.5,
    )
    seconds["deploy"] = time.monotonic() - started
    yield stack, seconds


@contextmanager
def traffic(
    url: str, *, writers: int = 6, readers: int = 4, pause: float = 0.05, limit: float = 300
) -> Iterator[tuple[TrafficLog, str]]:
    """Writers (creates with an Idempotency-Key, retried until acknowledged) and readers
    on `url` in the background while the block runs, and `limit` seconds at most; yields
    their log and the run's name (the titles' prefix). Writers then settle their last
    create before the block's exit returns."""
    run_name = f"swarm-{uuid.uuid4().hex[:6]}"
    log = TrafficLog()
    stop = threading.Event()
    give_up_at = time.monotonic() + limit
    errors: list[BaseException] = []

    def keep_going() -> bool:
        return not stop.is_set() and time.monotonic() < give_up_at

    def main() -> None:
        try:
            asyncio.run(
                drive(url, run=run_name, writers=writers, readers=readers,
                      keep_going=keep_going, pause=pause, log=log)
            )  # fmt: skip
        except BaseException as error:  # raised again in the test's thread
            errors.append(error)

    thread = threading.Thread(target=main, name="traffic")
    thread.start()
    try:
        poll(lambda: log.requests >= 20 or None, within=30, what="traffic flowing")
        yield log, run_name
    finally:
        stop.set()
        thread.join(timeout=SETTLE_SECONDS + 30)
    if errors:
        raise errors[0]
    assert not thread.is_alive(), "the traffic did not stop"


def more_requests(log: TrafficLog, count: int, *, within: float = 60) -> None:
    """Until `count` more requests were made: the traffic goes on past a change."""
    target = log.requests + count
    poll(lambda: log.requests >= target or None, within=within, what=f"{count} more requests")


def firewall_drops(node: Node) -> int:
    """Packets the node's firewall dropped (node.sh)."""
    listing = run("ip", "netns", "exec", node.namespace,
                  "iptables", "-t", "mangle", "-L", "RIG-FIREWALL", "-v", "-n", "-x")  # fmt: skip
    drops = [line.split() for line in listing.splitlines() if " DROP " in f" {line} "]
    return sum(int(fields[0]) for fields in drops)
