"""deploy/swarm/stack.yml deployed for real on this machine's Docker engine in swarm mode,
under a stack name of the test's own, and the engine left as it was found."""

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from harness.network import free_port
from harness.polling import poll, wait_for_http

from support.paths import ROOT

STACK_FILE = ROOT / "deploy" / "swarm" / "stack.yml"
DB_LABEL = "tasks-db=true"


def docker(*args: str, check: bool = True, timeout: float = 300) -> str:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=False, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout.strip()


@dataclass
class SwarmStack:
    name: str
    env: dict[str, str]
    api_url: str
    work: Path
    found_inactive: bool
    labelled_node: str | None = None
    extra_images: list[str] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return f"{self.name}_backend"

    def deploy(self) -> float:
        """docker stack deploy; seconds until 3 backends and nginx run, healthy, and serve."""
        started = time.monotonic()
        subprocess.run(
            [
                "docker",
                "stack",
                "deploy",
                "--resolve-image",
                "never",
                "-c",
                str(STACK_FILE),
                self.name,
            ],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        self.wait_converged(within=240)
        wait_for_http(f"{self.api_url}/api/health/ready", within=60)
        return time.monotonic() - started

    def running(self, service: str = "backend") -> list[dict[str, str]]:
        """The service's tasks that should run, with their state and image."""
        output = docker(
            "service", "ps", f"{self.name}_{service}", "--filter", "desired-state=running",
            "--no-trunc", "--format", "{{json .}}",
        )  # fmt: skip
        return [json.loads(line) for line in output.splitlines() if line.strip()]

    def wait_converged(self, *, within: float, image: str | None = None) -> None:
        """Until 3 backend tasks run (healthy: a task with a health check is "Starting"
        before) on `image` if given, and the other services run one each."""

        def converged() -> bool | None:
            tasks = self.running()
            backends = [t for t in tasks if t["CurrentState"].startswith("Running")]
            if len(tasks) != 3 or len(backends) != 3:
                return None
            if image is not None and not all(t["Image"].startswith(image) for t in backends):
                return None
            for other in ("db", "frontend", "prometheus", "alertmanager"):
                if not [t for t in self.running(other) if t["CurrentState"].startswith("Running")]:
                    return None
            return True

        poll(converged, within=within, what=f"stack {self.name} converged", every=1)

    def containers(self, service: str = "backend") -> dict[str, str]:
        """The service's running containers on this node: full id -> status, such as
        "Up 9 seconds (healthy)"."""
        label = f"label=com.docker.swarm.service.name={self.name}_{service}"
        listed = docker("ps", "--no-trunc", "--filter", label, "--format", "{{.ID}}\t{{.Status}}")
        return dict(line.split("\t", 1) for line in listed.splitlines() if line)

    def wait_replaced(self, victim: str, *, within: float) -> None:
        """Until `victim` is gone and 3 other backend containers run, healthy."""

        def replaced() -> bool | None:
            healthy = [id_ for id_, status in self.containers().items() if "(healthy)" in status]
            return True if len(healthy) == 3 and victim not in healthy else None

        poll(replaced, within=within, what=f"{victim[:12]} replaced", every=0.5)

    def backend_containers(self) -> list[str]:
        return list(self.containers())

    def address(self, container: str, network: str = "web") -> str:
        """The container's address on one of the stack's networks."""
        template = f'{{{{(index .NetworkSettings.Networks "{self.name}_{network}").IPAddress}}}}'
        return docker("inspect", "--format", template, container)

    def prometheus_query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query, asked inside the Prometheus container (it publishes no port)."""
        (container,) = self.containers("prometheus")
        url = f"http://127.0.0.1:9090/api/v1/query?{urlencode({'query': promql})}"
        answer = json.loads(docker("exec", container, "wget", "-q", "-O", "-", url))
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def update_state(self, wanted: str) -> str | None:
        """The backend's update status (JSON) when its state is `wanted`, else None."""
        status = docker("service", "inspect", "--format", "{{json .UpdateStatus}}", self.backend)
        return status if f'"State":"{wanted}"' in status else None

    def build_variant(self, tag: str, dockerfile: str) -> str:
        """An image made from the deployed backend image (tasks-backend:dev plus a line)."""
        image = f"tasks-backend:{self.name}-{tag}"
        subprocess.run(
            ["docker", "build", "--quiet", "-t", image, "-"],
            input=f"FROM {self.env.get('BACKEND_IMAGE', 'tasks-backend')}:dev\n{dockerfile}\n",
            env={**self.env, "DOCKER_BUILDKIT": "0"},
            text=True,
            check=True,
            capture_output=True,
        )
        self.extra_images.append(image)
        return image

    def remove(self) -> None:
        """docker stack rm, and wait until its containers and networks are gone."""
        docker("stack", "rm", self.name, check=False)
        label = f"label=com.docker.stack.namespace={self.name}"
        poll(
            lambda: (
                not (
                    docker("ps", "-aq", "--filter", label)
                    or docker("network", "ls", "-q", "--filter", label)
                )
                or None
            ),
            within=120,
            what=f"stack {self.name} removed",
            every=1,
        )

    def leftovers(self) -> list[str]:
        label = f"label=com.docker.stack.namespace={self.name}"
        found = []
        for kind in ("ps -a", "network ls", "volume ls", "secret ls", "config ls", "service ls"):
            names = docker(*kind.split(), "--quiet", "--filter", label).split()
            found += [f"{kind.split()[0]}: {name}" for name in names]
        for image in self.extra_images:
            inspected = subprocess.run(["docker", "image", "inspect", image], capture_output=True)
            if inspected.returncode == 0:
                found.append(f"image: {image}")
        return found

    def clean_up(self) -> None:
        """Everything the test made, gone; the engine as it was found."""
        self.remove_everything()
        self.restore_engine()

    def remove_everything(self) -> None:
        """The stack, its volumes, the test's images, the node's label."""
        self.remove()
        for volume in ("postgres_data", "prometheus_data"):
            docker("volume", "rm", f"{self.name}_{volume}", check=False)
        for image in self.extra_images:
            docker("image", "rm", image, check=False)
        if self.labelled_node:
            docker(
                "node",
                "update",
                "--label-rm",
                DB_LABEL.split("=")[0],
                self.labelled_node,
                check=False,
            )
            self.labelled_node = None

    def restore_engine(self) -> None:
        """Out of swarm mode again, if the test put the engine in it."""
        if self.found_inactive and swarm_state() == "active":
            docker("swarm", "leave", "--force", check=False)


def swarm_state() -> str:
    return docker("info", "--format", "{{.Swarm.LocalNodeState}}")


@contextmanager
def swarm_stack() -> Iterator[SwarmStack]:
    """The engine in swarm mode (initialised on loopback when it was not), the node
    labelled for PostgreSQL, a password secret, and the stack deployed; all undone after."""
    found_inactive = swarm_state() == "inactive"
    if found_inactive:
        docker("swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:2377")
    with tempfile.TemporaryDirectory(prefix="tasks-swarm-") as directory:
        work = Path(directory)
        password = work / "postgres_password"
        password.write_text(secrets.token_urlsafe(24))
        api_port = free_port()
        stack = SwarmStack(
            name=f"tasks-swarm-{uuid.uuid4().hex[:6]}",
            env={
                **os.environ,
                "POSTGRES_PASSWORD_SECRET": str(password),
                "FRONTEND_PORT": str(free_port()),
                "BACKEND_PORT": str(api_port),
                "SERVED_BY_HEADER": "true",
                # The images compose built on this machine, in place of the published ones.
                "BACKEND_IMAGE": "tasks-backend",
                "FRONTEND_IMAGE": "tasks-frontend",
                "VERSION": "dev",
            },
            api_url=f"http://127.0.0.1:{api_port}",
            work=work,
            found_inactive=found_inactive,
        )
        try:
            node = docker("info", "--format", "{{.Swarm.NodeID}}")
            labels = docker("node", "inspect", "--format", "{{json .Spec.Labels}}", node)
            if '"tasks-db":"true"' not in labels:
                docker("node", "update", "--label-add", DB_LABEL, node)
                stack.labelled_node = node
            yield stack
        finally:
            stack.clean_up()


@contextmanager
def locust(
    stack: SwarmStack, *, tags: str | None = None, users: int = 10
) -> Iterator[dict[str, int]]:
    """Locust (load/locustfile.py) on the API port while the block runs; afterwards the
    dict holds its totals: requests and failures."""
    csv = stack.work / f"locust-{uuid.uuid4().hex[:6]}"
    command = [
        shutil.which("uv") or "uv", "run", "--frozen", "locust", "--headless",
        "--users", str(users), "--spawn-rate", str(users), "--run-time", "300s",
        "--host", stack.api_url, "--csv", str(csv), "--only-summary",
    ]  # fmt: skip
    if tags:
        command += ["--tags", tags]
    totals: dict[str, int] = {}
    process = subprocess.Popen(
        command, cwd=ROOT / "load", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        time.sleep(3)  # the users are spawned and sending
        yield totals
    finally:
        process.send_signal(signal.SIGTERM)  # Locust stops, writes its CSV and summary
        output, _ = process.communicate(timeout=60)
    summary = [line for line in output.splitlines() if "LOAD SUMMARY" in line]
    print("\n" + (summary[-1] if summary else output[-2000:]))
    rows = (csv.parent / f"{csv.name}_stats.csv").read_text().splitlines()
    header = rows[0].split(",")
    aggregated = dict(zip(header, rows[-1].split(","), strict=False))
    totals["requests"] = int(aggregated["Request Count"])
    totals["failures"] = int(aggregated["Failure Count"])
    if totals["failures"]:
        failures = (csv.parent / f"{csv.name}_failures.csv").read_text()
        print(failures[-2000:])


def answered_by(api_url: str, requests: int = 300) -> Counter[str]:
    """`requests` GETs of the task list through nginx: how many each replica answered
    (X-Served-By: its container's hostname)."""
    answered: Counter[str] = Counter()
    with httpx.Client(base_url=api_url, timeout=10) as client:
        for _ in range(requests):
            response = client.get("/api/tasks")
            assert response.status_code == 200
            answered[response.headers["x-served-by"]] += 1
    return answered
