"""The compose files read as documented: every variable they use is in .env.example, and
every base image they or the Dockerfiles name can be swapped through a variable."""

import re

import yaml

from support.connection_budget import available, needed
from support.paths import FRONTEND_DOCKERFILE, ROOT

COMPOSE_FILES = [ROOT / "docker-compose.yml", ROOT / "compose.dev.yaml"]


def variables_compose_reads() -> set[str]:
    """${VAR}, ${VAR:-default}, and build arguments passed from the environment (`VAR:`)."""
    found: set[str] = set()
    for path in COMPOSE_FILES:
        text = path.read_text()
        found |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
        found |= set(re.findall(r"^\s+([A-Z][A-Z0-9_]*):\s*$", text, flags=re.MULTILINE))
    return found


def test_env_example_lists_every_variable_compose_reads() -> None:
    documented = set(
        re.findall(r"^# ([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    )

    assert variables_compose_reads() - documented == set()


def test_every_base_image_is_chosen_by_a_variable_defaulting_to_the_real_image() -> None:
    for dockerfile in (ROOT / "backend" / "Dockerfile", ROOT / "frontend" / "Dockerfile"):
        text = dockerfile.read_text()
        sources = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)
        defaults = dict(re.findall(r"^ARG ([A-Z_]+_IMAGE)=(\S+)", text, flags=re.MULTILINE))
        stages = set(re.findall(r"^FROM \S+ AS (\S+)", text, flags=re.MULTILINE))
        for source in sources:
            # Either an earlier stage, or ${SOMETHING_IMAGE} with a pinned upstream default.
            assert source in stages or source.strip("${}") in defaults, f"{dockerfile}: {source}"
        for image in defaults.values():
            assert not image.startswith("tasks-standin"), f"{dockerfile}: {image}"
            assert re.search(r":\d", image), f"{dockerfile}: {image} has no pinned version"
    compose = (ROOT / "docker-compose.yml").read_text()
    for image in re.findall(r"^\s+image: (\S+)", compose, flags=re.MULTILINE):
        assert image.startswith(("${", "tasks-")), f"docker-compose.yml: {image} has no variable"


def test_every_service_rotates_its_logs_as_compose_does_in_swarm_too() -> None:
    """json-file, 10 MB x 3, for every service of both the compose file and the Swarm
    stack: a container's logs never fill the node's disk."""
    rotation = {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}
    for path in (ROOT / "docker-compose.yml", ROOT / "deploy" / "swarm" / "stack.yml"):
        services = yaml.safe_load(path.read_text())["services"]
        unrotated = [
            name for name, service in services.items() if service.get("logging") != rotation
        ]
        assert unrotated == [], f"{path.name}: no 10m x 3 log rotation for {unrotated}"


def test_compose_and_swarm_reach_nginx_on_the_ports_its_image_listens_on() -> None:
    """The frontend image listens on NGINX_PORT (80, as the course's Dockerfile) and
    NGINX_API_PORT: every port compose and the Swarm stack publish is one of those, and
    the health check is the image's, which asks the port nginx listens on."""
    dockerfile = FRONTEND_DOCKERFILE.read_text()
    app_port = int(re.findall(r"\bNGINX_PORT=(\d+)", dockerfile)[0])
    listening = {app_port, *map(int, re.findall(r"\bNGINX_API_PORT=(\d+)", dockerfile))}
    for path in (ROOT / "docker-compose.yml", ROOT / "deploy" / "swarm" / "stack.yml"):
        frontend = yaml.safe_load(path.read_text())["services"]["frontend"]
        targets = {
            int(port["target"]) if isinstance(port, dict) else int(port.rsplit(":", 1)[1])
            for port in frontend["ports"]
        }

        assert app_port in targets, f"{path.name}: the app's port {app_port} is not published"
        assert targets <= listening, f"{path.name}: nginx listens on {listening}, not {targets}"
        # Only the timing: a command here would be a second copy of the image's.
        assert "test" not in frontend["healthcheck"], path.name
    assert "http://127.0.0.1:${NGINX_PORT}/healthz" in dockerfile


def test_every_service_has_a_pids_limit_the_same_in_compose_and_swarm() -> None:
    """CPU, memory and PIDs limits for every service of the compose file and the Swarm
    stack, the PIDs limit the same in both for the services both run."""
    limits = {}
    for path in (ROOT / "docker-compose.yml", ROOT / "deploy" / "swarm" / "stack.yml"):
        services = yaml.safe_load(path.read_text())["services"]
        limits[path.name] = {
            name: service.get("deploy", {}).get("resources", {}).get("limits", {})
            for name, service in services.items()
        }
        unlimited = [
            name
            for name, limit in limits[path.name].items()
            if not {"cpus", "memory", "pids"} <= set(limit)
        ]
        assert unlimited == [], f"{path.name}: no CPU, memory or PIDs limit for {unlimited}"
    compose, swarm = limits["docker-compose.yml"], limits["stack.yml"]
    for name in swarm:
        assert swarm[name]["pids"] == compose[name]["pids"], name


def _defaults(environment: dict[str, str] | list[str] | None) -> dict[str, str]:
    """A service's environment as its file sets it, ${VAR:-default} read as its default."""
    pairs = (
        environment.items()
        if isinstance(environment, dict)
        else (entry.split("=", 1) for entry in environment or [])
    )
    return {name: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value)) for name, value in pairs}


def test_the_backends_compose_and_swarm_run_fit_in_postgresqls_connections() -> None:
    """The connection budget (support/connection_budget.py): compose's replicas as
    docs/scale-out.md scales them, Swarm's replicas plus the one a start-first update adds,
    each holding its pool, its overflow and its watcher's connection, with the operations'
    reserve, fit in max_connections less the superusers' slots."""
    scaled = max(
        int(n)
        for n in re.findall(r"--scale backend=(\d+)", (ROOT / "docs" / "scale-out.md").read_text())
    )
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    swarm = yaml.safe_load((ROOT / "deploy" / "swarm" / "stack.yml").read_text())["services"]
    update = swarm["backend"]["deploy"]["update_config"]
    surge = update["parallelism"] if update.get("order") == "start-first" else 0
    at_once = {
        "compose": (scaled, _defaults(compose["backend"].get("environment"))),
        "swarm": (
            swarm["backend"]["deploy"]["replicas"] + surge,
            _defaults(swarm["backend"].get("environment")),
        ),
    }
    for name, (backends, env) in at_once.items():
        print(f"\n{name}: {backends} backends: {needed(backends, env)} of {available()}")
        assert needed(backends, env) <= available(), name
