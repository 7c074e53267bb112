"""The effects several drills look for on the real engine, each with its own message in the
words of the mechanism: services running, the app and the API answering, the backend
reaching its database, a task surviving `docker compose down` / `up`, the user a process
runs as. Never the learner's text: what runs, answers and persists."""

import uuid
from urllib.parse import urlsplit

from workspace import (
    API_PORT,
    Answer,
    Condition,
    Workspace,
    failed,
    http,
    not_checked,
    passed,
    poll,
)

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
API = f"http://127.0.0.1:{API_PORT}"


def _blocked_port(ws: Workspace, container: str) -> str:
    """Why a container that publishes a port never started, when another one holds it."""
    wanted = ws.inspect(container).get("HostConfig", {}).get("PortBindings") or {}
    ports = {binding["HostPort"] for bindings in wanted.values() for binding in bindings or []}
    for port in sorted(ports):
        holders = ws.docker("ps", "--filter", f"publish={port}", "--format", "{{.Names}}")
        holder = holders.stdout.split()
        if holder:
            return (
                f"it publishes port {port} of this machine, which {holder[0]} already holds: one "
                "port can be bound by one container only, so it stayed Created, never started"
            )
    return ""


def _answered(answer: Answer) -> Answer | None:
    """The answer, or None while nothing answers (a server still starting)."""
    return answer if answer.status else None


def services_running(ws: Workspace, services: tuple[str, ...]) -> Condition:
    said = f"{', '.join(services)}: running"
    found = ws.containers()
    if not found:
        return failed(
            "running",
            said,
            "nothing of this drill runs: start it from the workspace (docker compose up -d)",
        )
    problems = []
    for service in services:
        row = found.get(service)
        if row is None:
            problems.append(f"{service} has no container (docker compose up -d creates it)")
        elif row["State"] == "created":
            why = _blocked_port(ws, row["Name"]) or "docker compose up -d said why"
            problems.append(f"{service} never started: {why}")
        elif row["State"] != "running":
            problems.append(f"{service} is {row['Status']} (docker compose logs {service})")
    if problems:
        return failed("running", said, "; ".join(problems))
    return passed("running", said)


def healthy(ws: Workspace, service: str, *, within: float = 60) -> Condition:
    """The service's health check (its image's, or the compose file's) says healthy."""
    said = f"{service}: healthy"

    def health() -> str:
        row = ws.containers().get(service, {})
        return "" if row.get("Health") in ("starting", None) else str(row.get("Health"))

    state = poll(health, within=within, every=1) or "starting"
    if state == "healthy":
        return passed("healthy", said)
    return failed(
        "healthy",
        said,
        f"{service}'s health check says {state}: docker inspect shows its output "
        f"(docker inspect --format '{{{{json .State.Health}}}}' $(docker compose ps -q {service}))",
    )


def app_answers(ws: Workspace, *, target: int = 80) -> Condition:
    said = "the app answers on the frontend's port of this machine"
    port = ws.published_port("frontend", target)
    if port is None:
        return failed(
            "app",
            said,
            f"frontend publishes no port of this machine for its port {target}, where nginx "
            f'listens in the container: ports: ["HOST:{target}"]',
        )
    answer = poll(lambda: _answered(http(f"http://127.0.0.1:{port}/")), within=10) or Answer(0, "")
    if answer.status == 200 and 'id="root"' in answer.body:
        return passed("app", f"{said} ({port})")
    return failed(
        "app",
        said,
        f"nothing serves the app on port {port}: frontend's container does not listen on the "
        f"port it publishes ({target}), or it is not running",
    )


def api_answers(ws: Workspace, api: str = API) -> Condition:
    """GET `api`/api/tasks answers 200 (within 10 s: a server may be starting)."""
    said = f"the API answers on {api}/api/tasks"
    answer = poll(lambda: _answered(http(f"{api}/api/tasks")), within=10) or Answer(0, "")
    if answer.status == 200:
        return passed("api", said)
    if answer.status == 0:
        port = urlsplit(api).port
        row = ws.containers().get("backend")
        if row is None or row.get("State") != "running":
            state = row.get("Status", "") if row else "no container"
            return failed(
                "api",
                said,
                f"nothing answers on port {port} of this machine: the backend is not running "
                f"({state}); docker compose ps -a and docker compose logs backend say why",
            )
        return failed(
            "api",
            said,
            f"nothing answers on port {port} of this machine, though the backend runs: it "
            f'must publish its port 8000 there ("{port}:8000")',
        )
    return failed("api", said, f"it answers {answer.status}: {answer.body[:200]}")


def database_host(ws: Workspace) -> str:
    """The host in the backend container's DATABASE_URL, as the engine runs it."""
    row = ws.containers().get("backend")
    environment = ws.inspect(row["Name"]).get("Config", {}).get("Env") or [] if row else []
    for entry in environment:
        name, _, value = entry.partition("=")
        if name == "DATABASE_URL":
            try:
                return urlsplit(value).hostname or ""
            except ValueError:
                return ""
    return ""


def _ready(answer: Answer) -> Answer | None:
    return answer if answer.status == 200 else None


def backend_reached_database(ws: Workspace) -> Condition:
    said = "the backend reached its database (PostgreSQL)"
    host = database_host(ws)
    # A loopback host never works in a container: no need to wait for it. Any other may be
    # a database still starting: wait for it a while.
    within = 0 if host in LOOPBACK_HOSTS else 45
    answer = poll(lambda: _ready(http(f"{API}/api/health/ready")), within=within) or http(
        f"{API}/api/health/ready"
    )
    if answer.status == 0:
        return not_checked("database", said, "the API does not answer")
    ready = answer.json() if answer.body.startswith("{") else {}
    if ready.get("status") == "ok" and ready.get("storage") == "postgresql":
        return passed("database", said)
    if ready.get("storage") == "memory":
        return failed(
            "database", said, "the backend keeps its tasks in memory: it has no DATABASE_URL"
        )
    if host in LOOPBACK_HOSTS:
        return failed(
            "database",
            said,
            f"the backend's DATABASE_URL host is {host}: inside a container that is the "
            "container itself, where no PostgreSQL listens; the database is another "
            "container, found by its service's name",
        )
    return failed("database", said, f"the backend is not ready: {ready.get('detail', answer.body)}")


def task_survives_down_up(ws: Workspace) -> Condition:
    """Adds a task, runs docker compose down then up -d, and looks for it."""
    said = "a task survives docker compose down / up"
    title = f"drill check {uuid.uuid4().hex[:8]}"
    created = http(f"{API}/api/tasks", method="POST", body={"title": title})
    if created.status != 201:
        return not_checked("persistence", said, f"adding a task answered {created.status}")
    down = ws.compose("down", timeout=120)
    up = ws.compose("up", "-d", "--wait", "--wait-timeout", "120", timeout=300)
    if down.returncode or up.returncode:
        return not_checked("persistence", said, f"docker compose up failed: {up.stderr[-300:]}")
    answer = poll(
        lambda: (lambda a: a if a.status == 200 else None)(http(f"{API}/api/tasks")), within=60
    )
    if answer and any(task.get("title") == title for task in answer.json()):
        return passed("persistence", said)
    return failed(
        "persistence",
        said,
        "a task added before docker compose down was gone after docker compose up: down "
        "removes the containers, and the database kept its files in an anonymous volume, which "
        "the new container is not given back (no named volume at /var/lib/postgresql/data)",
    )


def runs_as(ws: Workspace, service: str) -> str:
    """The user id the service's process runs as."""
    return ws.compose("exec", "-T", service, "id", "-u").stdout.strip()
