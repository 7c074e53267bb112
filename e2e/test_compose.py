"""The course's central promise, for real: `docker compose up -d --build` runs the app,
and its data survives `docker compose down` / `up`. Needs a Docker engine."""

import ipaddress
import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator

import httpx
import pytest
from harness.network import free_port
from harness.polling import poll, wait_for_http

from stacks.compose import ComposeStack, pids_by_service, startable_services
from support.paths import ROOT

pytestmark = pytest.mark.stack

DEMO = [
    {"id": 1, "title": "Apprendre Docker", "done": False},
    {"id": 2, "title": "Configurer CI/CD", "done": False},
]
TITLE = "Cette tâche survit au redémarrage"


@pytest.fixture(scope="module")
def docker_stack(compose_app: ComposeStack) -> ComposeStack:
    """The run's one compose stack (see conftest.py), every service up, on a fresh
    database; the tests below run in order on it."""
    compose_app.reset_data()
    compose_app.compose("up", "--detach", "--wait")
    return compose_app


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True).stdout


def test_all_services_are_healthy_and_run_as_non_root(docker_stack: ComposeStack) -> None:
    services = {service["Service"]: service for service in docker_stack.services()}

    assert set(services) == {"db", "backend", "frontend"}
    assert {name: service["Health"] for name, service in services.items()} == {
        "db": "healthy",
        "backend": "healthy",
        "frontend": "healthy",
    }
    for name in ("backend", "frontend"):
        user = docker("image", "inspect", "--format", "{{.Config.User}}", services[name]["Image"])
        assert user.strip() not in ("", "0", "root"), f"{name} image runs as root"
    for name in services:
        uid = docker_stack.compose("exec", "-T", name, "id", "-u").stdout.strip()
        assert uid != "0", f"{name} runs as root"
    print(f"\nFrom `up --build` to all healthy: {docker_stack.up_seconds:.0f} s")


def test_the_course_script_through_the_backend_and_the_frontend(docker_stack: ComposeStack) -> None:
    assert httpx.get(f"{docker_stack.backend_url}/api/tasks").json() == DEMO

    created = httpx.post(f"{docker_stack.backend_url}/api/tasks", json={"title": TITLE})

    assert created.status_code == 201
    assert created.json() == {"id": 3, "title": TITLE, "done": False}
    through_nginx = httpx.get(f"{docker_stack.frontend_url}/api/tasks").json()
    assert through_nginx == [*DEMO, created.json()]
    page = httpx.get(docker_stack.frontend_url)
    assert page.status_code == 200
    assert '<div id="root">' in page.text
    ready = httpx.get(f"{docker_stack.frontend_url}/api/health/ready").json()
    assert ready == {"status": "ok", "storage": "postgresql"}


def test_persistence_drill_down_up_keeps_data_down_v_does_not(docker_stack: ComposeStack) -> None:
    httpx.post(
        f"{docker_stack.backend_url}/api/tasks", json={"title": "Avant down"}
    ).raise_for_status()

    docker_stack.compose("down")
    docker_stack.up()
    after_down_up = [
        task["title"] for task in httpx.get(f"{docker_stack.backend_url}/api/tasks").json()
    ]
    docker_stack.compose("down", "--volumes")
    docker_stack.up()
    after_down_v = httpx.get(f"{docker_stack.backend_url}/api/tasks").json()

    assert "Avant down" in after_down_up
    assert after_down_v == DEMO


def test_database_is_private_and_restarts_cleanly_under_the_backend(
    docker_stack: ComposeStack,
) -> None:
    db_container = docker_stack.compose("ps", "--quiet", "db").stdout.strip()
    published = json.loads(
        docker("inspect", "--format", "{{json .NetworkSettings.Ports}}", db_container)
    )
    resolved = docker_stack.compose(
        "exec",
        "-T",
        "backend",
        "python",
        "-c",
        "import socket; print(socket.getaddrinfo('db', 5432)[0][4][0])",
    ).stdout.strip()

    docker_stack.compose("stop", "db")
    during = wait_for_http(f"{docker_stack.backend_url}/api/tasks", status=503, within=60)
    through_nginx = httpx.get(f"{docker_stack.frontend_url}/api/tasks")
    docker_stack.compose("start", "db")
    after = wait_for_http(f"{docker_stack.backend_url}/api/tasks", within=90)

    assert all(bindings is None for bindings in published.values())
    assert resolved.count(".") == 3  # "db" resolves to the container's address
    assert during.headers["retry-after"].isdigit()
    assert through_nginx.status_code == 503
    assert after.json()[:2] == DEMO


def test_only_the_backend_shares_the_database_network(docker_stack: ComposeStack) -> None:
    networks = {}
    for service in ("db", "backend", "frontend"):
        container = docker_stack.compose("ps", "--quiet", service).stdout.strip()
        attached = docker("inspect", "--format", "{{json .NetworkSettings.Networks}}", container)
        networks[service] = {
            name.removeprefix(f"{docker_stack.project}_") for name in json.loads(attached)
        }

    assert networks == {"db": {"data"}, "backend": {"data", "web"}, "frontend": {"web"}}


def test_nginx_serves_the_app_on_port_80_without_root_or_any_capability(
    docker_stack: ComposeStack,
) -> None:
    """The course's frontend Dockerfile says EXPOSE 80 and its exercise publishes "80:80"
    or "3000:80": nginx, user 101 with every capability dropped, binds 80 in its container
    because Docker Engine 20.10+ lets a container's processes bind ports below 1024."""
    container = docker_stack.compose("ps", "--quiet", "frontend").stdout.strip()
    host_config = json.loads(docker("inspect", "--format", "{{json .HostConfig}}", container))
    published = docker("port", container, "80/tcp").split()
    uid = docker_stack.compose("exec", "-T", "frontend", "id", "-u").stdout.strip()
    lowest_unprivileged = docker_stack.compose(
        "exec", "-T", "frontend", "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"
    ).stdout.strip()

    page = httpx.get(docker_stack.frontend_url)

    assert (host_config["CapDrop"], host_config["CapAdd"]) == (["ALL"], None)
    assert uid == "101"
    assert lowest_unprivileged == "0"
    assert published[0].rsplit(":", 1)[1] == docker_stack.frontend_url.rsplit(":", 1)[1]
    assert page.status_code == 200
    assert '<div id="root">' in page.text


# What FRONTEND_ADDRESS publishes the app on when asked: every interface, on purpose.
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104


def published_address(stack: ComposeStack) -> str:
    """The host address the frontend's port 80 is published on."""
    container = stack.compose("ps", "--quiet", "frontend").stdout.strip()
    return docker("port", container, "80/tcp").split()[0].rsplit(":", 1)[0]


def test_the_app_is_on_this_machine_only_unless_published_with_a_write_password(
    docker_stack: ComposeStack,
) -> None:
    """By default compose publishes the app on 127.0.0.1 (its API has no login);
    FRONTEND_ADDRESS=0.0.0.0 publishes it on every interface, and with WRITE_USER and
    WRITE_PASSWORD set, writes through it then need them while reads stay open."""
    writer = ("alice", "correct horse battery staple")
    published = {
        **docker_stack.env,
        "FRONTEND_ADDRESS": EVERY_INTERFACE,
        "WRITE_USER": writer[0],
        "WRITE_PASSWORD": writer[1],
    }
    by_default = published_address(docker_stack)
    try:
        docker_stack.compose("up", "--detach", "--wait", "frontend", env=published)
        everywhere = published_address(docker_stack)
        read = httpx.get(f"{docker_stack.frontend_url}/api/tasks")
        refused = httpx.post(f"{docker_stack.frontend_url}/api/tasks", json={"title": "anonyme"})
        created = httpx.post(
            f"{docker_stack.frontend_url}/api/tasks", json={"title": "signée"}, auth=writer
        )
    finally:
        docker_stack.compose("up", "--detach", "--wait", "frontend")

    assert by_default == "127.0.0.1"
    assert everywhere == EVERY_INTERFACE
    assert read.status_code == 200
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("Not authenticated")
    assert created.status_code == 201
    assert published_address(docker_stack) == "127.0.0.1"


def declared_pids_limits(stack: ComposeStack, *args: str) -> dict[str, int]:
    """Each service's PIDs limit as the compose file declares it (docker compose config)."""
    config = json.loads(stack.compose(*args, "config", "--format", "json").stdout)
    return {
        name: service["deploy"]["resources"]["limits"]["pids"]
        for name, service in config["services"].items()
    }


def test_every_container_runs_under_the_pids_limit_of_its_service(
    docker_stack: ComposeStack,
) -> None:
    """The engine set each container's PIDs limit from compose's (CIS 5.29), and each runs
    at most half of it."""
    declared = declared_pids_limits(docker_stack)
    running = pids_by_service(docker_stack.project)

    print(f"\nPIDs (limit, now): {running}")
    assert set(running) == {"db", "backend", "frontend"}
    for service, (limit, now) in running.items():
        assert limit == declared[service], service
        assert 0 < now <= limit // 2, service


def test_a_fork_bomb_in_the_frontend_stops_at_its_limit_and_nginx_serves_on(
    docker_stack: ComposeStack,
) -> None:
    """Given 40 processes asked of the frontend's container, whose limit is 16, then the
    kernel refuses those over the limit, and nginx goes on serving."""
    bomb = docker_stack.compose(
        "exec", "-T", "frontend", "sh", "-c", "for i in $(seq 40); do sleep 3 & done; wait",
        check=False,
    )  # fmt: skip
    page = httpx.get(docker_stack.frontend_url)

    assert re.search(r"can't fork|Cannot fork|Resource temporarily unavailable", bomb.stderr), (
        bomb.stderr
    )
    assert page.status_code == 200


def test_services_stop_cleanly_on_sigterm(docker_stack: ComposeStack) -> None:
    """Stopped within their grace period, not killed (exit code 137) when it runs out."""
    docker_stack.compose("stop", "frontend", "backend", "db")
    exit_codes = {}
    try:
        for service in ("frontend", "backend", "db"):
            container = docker_stack.compose("ps", "--all", "--quiet", service).stdout.strip()
            exit_codes[service] = docker(
                "inspect", "--format", "{{.State.ExitCode}}", container
            ).strip()
    finally:
        docker_stack.up()  # the stack is shared: the tests after this one find it running

    # Each one handled SIGTERM (SIGQUIT for nginx, SIGINT for PostgreSQL) and exited with 0.
    assert exit_codes == {"frontend": "0", "backend": "0", "db": "0"}


def runtime_base(service: str) -> str:
    """The image the service's Dockerfile builds its last stage on, following stages and
    `ARG NAME_IMAGE=default` (or the NAME_IMAGE the test machine set, for stand-ins)."""
    dockerfile = (ROOT / service / "Dockerfile").read_text()
    defaults = dict(re.findall(r"^ARG ([A-Z_]+_IMAGE)=(\S+)", dockerfile, flags=re.MULTILINE))
    stages = dict(re.findall(r"^FROM (\S+) AS (\S+)", dockerfile, flags=re.MULTILINE))
    stages = {name: source for source, name in stages.items()}
    source = re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)[-1]
    while source in stages:
        source = stages[source]
    variable = source.strip("${}")
    return os.environ.get(variable) or defaults.get(variable, source)


# What the project adds to each image, and where to look for the largest parts of it.
ADDED_PATHS = {
    "backend": "/app/.venv/lib/python3*/site-packages/* /app/app /app/migrations",
    "frontend": "/usr/share/nginx/html/* /usr/share/nginx/html/assets/* /etc/nginx/templates/*",
}
# The backend's budget over its base image (issue: at most 60 MB).
BACKEND_ADDED_LIMIT_MB = 60


def test_image_size_report(docker_stack: ComposeStack) -> None:
    """Each image's size, its base's, what the project adds, and the ten largest parts."""
    added_mb = {}
    for service in ("backend", "frontend"):
        image = next(s["Image"] for s in docker_stack.services() if s["Service"] == service)
        size = int(docker("image", "inspect", "--format", "{{.Size}}", image))
        base_image = runtime_base(service)
        base = int(docker("image", "inspect", "--format", "{{.Size}}", base_image))
        added_mb[service] = (size - base) / 1e6
        largest = docker(
            "run",
            "--rm",
            "--entrypoint",
            "sh",
            image,
            "-c",
            f"du -sk {ADDED_PATHS[service]} 2>/dev/null | sort -rn | head -n 10",
        )
        print(
            f"\n{service}: {size / 1e6:.1f} MB; base {base_image}: {base / 1e6:.1f} MB; "
            f"the project adds {added_mb[service]:.1f} MB. Largest parts (KB):"
        )
        for line in largest.splitlines():
            kilobytes, path = line.split(maxsplit=1)
            print(f"  {int(kilobytes):>7}  {path}")
    assert 0 < added_mb["frontend"] < added_mb["backend"] <= BACKEND_ADDED_LIMIT_MB


def test_a_client_sent_x_forwarded_for_is_not_the_client_the_backend_logs(
    docker_stack: ComposeStack,
) -> None:
    """A client claims to be 1.2.3.4: nginx sends the address it saw instead, and the
    backend believes X-Forwarded-For from nginx only (FORWARDED_ALLOW_IPS), so its request
    log names the real peer. (The backend's own port, 127.0.0.1 only, is reached from the
    network's gateway, in the same pool: docs/docker.md says so.)"""
    request_ids = [uuid.uuid4().hex]
    for request_id in request_ids:
        httpx.get(
            f"{docker_stack.frontend_url}/api/tasks",
            headers={"X-Forwarded-For": "1.2.3.4", "X-Request-ID": request_id},
        ).raise_for_status()

    def logged() -> list[dict[str, object]] | None:
        lines = docker_stack.compose("logs", "--no-log-prefix", "backend").stdout.splitlines()
        records = [json.loads(line) for line in lines if line.startswith("{")]
        found = [record for record in records if record.get("request_id") in request_ids]
        return found if len(found) == len(request_ids) else None

    records = poll(logged, within=30, what="the backend's log lines of both requests")

    for record in records:
        assert record["client"] != "1.2.3.4"
        # The address nginx saw: this machine, through Docker's port publishing.
        assert ipaddress.ip_address(str(record["client"])).is_private


# ---- Stopping: what the documented stop commands leave ----------------------------------
# The tests below stop the run's stack, each in its own way, and start it again.

# The stack's named volumes, as compose names them: what `down` without -v keeps.
DATA_VOLUMES = {"postgres_data", "postgres_socket", "prometheus_data", "grafana_data"}


def make(stack: ComposeStack, *args: str) -> subprocess.CompletedProcess[str]:
    """`make ARGS` in the repository, on this stack (COMPOSE_PROJECT_NAME)."""
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env={**stack.env, "COMPOSE_PROJECT_NAME": stack.project},
        capture_output=True,
        text=True,
    )


def left_on_the_engine(stack: ComposeStack) -> dict[str, set[str]]:
    """What of the stack is still on the engine: its containers (by service), networks and
    volumes (by the names compose gives them, without the project's prefix)."""
    label = f"label=com.docker.compose.project={stack.project}"
    service = '{{.Label "com.docker.compose.service"}}'
    left = {
        "containers": set(docker("ps", "--all", "--filter", label, "--format", service).split())
    }
    for kind in ("network", "volume"):
        names = docker(kind, "ls", "--filter", label, "--format", "{{.Name}}").split()
        left[f"{kind}s"] = {name.removeprefix(f"{stack.project}_") for name in names}
    return left


@pytest.fixture
def monitoring_up(docker_stack: ComposeStack) -> Iterator[list[str]]:
    """The stack with `docker compose --profile monitoring up -d` (docs/monitoring.md), its
    services that can start here; the stack as it was afterwards."""
    env = {
        **docker_stack.env,
        **{f"{name}_PORT": str(free_port()) for name in ("PROMETHEUS", "ALERTMANAGER", "GRAFANA")},
    }
    services, _ = startable_services(
        env, "--project-name", docker_stack.project, profile="monitoring"
    )
    docker_stack.compose("--profile", "monitoring", "up", "--detach", "--wait", *services, env=env)
    try:
        yield services
    finally:
        make(docker_stack, "down", "V=1")
        docker_stack.up()


def test_make_down_stops_every_service_and_keeps_only_the_data(
    monitoring_up: list[str], docker_stack: ComposeStack
) -> None:
    """Given the app and the monitoring profile up, `make down` leaves nothing running and
    no network, only the data volumes; `make down V=1` then leaves nothing at all, and
    says so."""
    down = make(docker_stack, "down")
    after_down = left_on_the_engine(docker_stack)
    start_over = make(docker_stack, "down", "V=1")
    after_start_over = left_on_the_engine(docker_stack)

    assert down.returncode == 0, down.stderr
    assert after_down["containers"] == set()
    assert after_down["networks"] == set()
    assert {"postgres_data", "prometheus_data"} <= after_down["volumes"] <= DATA_VOLUMES
    assert start_over.returncode == 0, start_over.stderr
    assert "the next up starts over" in start_over.stdout
    assert after_start_over == {"containers": set(), "networks": set(), "volumes": set()}


@pytest.mark.parametrize("volumes", [[], ["--volumes"]], ids=["down", "down -v"])
def test_the_docs_stop_command_for_monitoring_stops_it_all(
    monitoring_up: list[str], docker_stack: ComposeStack, volumes: list[str]
) -> None:
    """docs/monitoring.md's stop command, `docker compose --profile monitoring down` (and
    -v), stops what its start command started; with -v the data is gone."""
    command = "docker compose --profile monitoring down"
    assert command in (ROOT / "docs" / "monitoring.md").read_text()

    stopped = docker_stack.compose("--profile", "monitoring", "down", *volumes, check=False)
    left = left_on_the_engine(docker_stack)

    assert stopped.returncode == 0, stopped.stderr
    assert (left["containers"], left["networks"]) == (set(), set())
    assert left["volumes"] == (set() if volumes else left["volumes"] & DATA_VOLUMES)
    assert ("postgres_data" in left["volumes"]) != bool(volumes)


def test_make_down_v1_names_a_volume_it_could_not_delete_and_what_holds_it(
    docker_stack: ComposeStack,
) -> None:
    """Given the data volume also mounted by a container of no compose project, then
    `make down V=1` fails, naming the volume kept and that container."""
    volume = f"{docker_stack.project}_postgres_data"
    holder = f"{docker_stack.project}-holder"
    image = next(s["Image"] for s in docker_stack.services() if s["Service"] == "backend")
    docker(
        "run",
        "--detach",
        "--name",
        holder,
        "--volume",
        f"{volume}:/data",
        "--entrypoint",
        "sleep",
        image,
        "300",
    )
    try:
        start_over = make(docker_stack, "down", "V=1")
    finally:
        docker("rm", "--force", holder)
        make(docker_stack, "down", "V=1")
        docker_stack.up()

    assert start_over.returncode != 0
    assert f"KEPT: volume {volume}, still used by {holder}" in start_over.stderr
