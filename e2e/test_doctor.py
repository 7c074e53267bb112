"""`make doctor` (scripts/doctor) facing each classic mistake for real: a port taken, no
permission on Docker's socket, an image older than its code, an unhealthy container, a
password changed after the database volume was created. And silent when all is well."""

import importlib.machinery
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from app.database import diagnosis
from harness.network import free_port
from harness.polling import poll

from stacks.compose import ComposeStack
from support.paths import ROOT

DOCTOR = ROOT / "scripts" / "doctor"
ONLY_DOCKER = ["--json", "--only", "docker"]


def doctor(
    *checks: str, env: dict[str, str] | None = None, root: Path = ROOT
) -> tuple[int, list[dict[str, Any]]]:
    """The doctor of the checkout at `root` (it compares images with the files beside it)."""
    command = [str(root / "scripts" / "doctor"), "--json", *(["--only", *checks] if checks else [])]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env or dict(os.environ), timeout=120
    )
    return result.returncode, json.loads(result.stdout)


def stack_env(stack: ComposeStack, **extra: str) -> dict[str, str]:
    return {**stack.env, "COMPOSE_PROJECT_NAME": stack.project, **extra}


def test_a_port_held_by_a_program_is_named_with_the_fix() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken, free = listener.getsockname()[1], free_port()
        env = {**os.environ, "FRONTEND_PORT": str(taken), "BACKEND_PORT": str(free)}
        status, verdicts = doctor("ports", env=env)

    by_port = {verdict["check"]: verdict for verdict in verdicts}
    print(f"\n{by_port[f'port {taken}']['finding']}")
    assert status == 1
    assert by_port[f"port {taken}"]["status"] == "problem"
    assert f"(pid {os.getpid()})" in by_port[f"port {taken}"]["finding"]
    assert "FRONTEND_PORT=" in by_port[f"port {taken}"]["fix"]
    assert by_port[f"port {free}"]["status"] == "ok"


@pytest.mark.stack
def test_no_permission_on_the_docker_socket_says_to_join_the_docker_group(
    compose_app: ComposeStack,
) -> None:
    """As an unprivileged user (nobody), as a learner before joining the docker group."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to run the doctor as another user")
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "scripts" / "doctor"
        copy.parent.mkdir()
        shutil.copy(DOCTOR, copy)
        for path in (Path(directory), copy.parent, copy):
            path.chmod(0o755)
        env = {"PATH": os.environ["PATH"], "HOME": directory}
        result = subprocess.run(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                str(copy),
                *ONLY_DOCKER,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    (verdict,) = json.loads(result.stdout)
    print(f"\n{verdict['finding']}\n{verdict['fix']}")
    assert result.returncode == 1
    assert "permission denied" in verdict["finding"]
    assert "usermod -aG docker" in verdict["fix"]


@pytest.mark.stack
def test_all_is_well_on_the_running_stack(compose_app: ComposeStack) -> None:
    compose_app.compose("up", "--detach", "--wait")
    status, verdicts = doctor(env=stack_env(compose_app))

    problems = [verdict for verdict in verdicts if verdict["status"] == "problem"]
    assert problems == []
    assert status == 0
    checks = {verdict["check"]: verdict["status"] for verdict in verdicts}
    assert checks["database login"] == "ok"
    assert checks["backend container"] == checks["frontend container"] == "ok"
    for variable in ("FRONTEND_PORT", "BACKEND_PORT"):
        assert checks[f"port {compose_app.env[variable]}"] == "ok"


@pytest.fixture
def changed_checkout(tmp_path: Path) -> Path:
    """A copy of the checkout's files with backend/main.py edited after the images were
    built: the checkout itself is never touched, so builds running beside this test (the
    swarm part's, say) see the files as they are."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        source = ROOT / name
        if source.is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tmp_path / name)
    main = tmp_path / "backend" / "main.py"
    main.write_bytes(main.read_bytes() + b"# edited after the build\n")
    return tmp_path


@pytest.mark.stack
def test_an_image_built_before_a_code_change_asks_for_build(
    compose_app: ComposeStack, changed_checkout: Path
) -> None:
    status, verdicts = doctor("images", env=stack_env(compose_app), root=changed_checkout)

    checks = {verdict["check"]: verdict for verdict in verdicts}
    backend = checks["backend image"]
    assert checks["frontend image"]["status"] == "ok"  # its code did not change
    print(f"\n{backend['finding']}")
    assert status == 1
    assert backend["status"] == "problem"
    assert "backend/main.py" in backend["finding"]
    assert backend["fix"] == "Rebuild: docker compose up -d --build"


@pytest.mark.stack
def test_an_unhealthy_container_is_shown_with_its_last_log_lines(
    compose_app: ComposeStack,
) -> None:
    # A container of the stack's project, never healthy, that said something first.
    labels = ["--label", f"com.docker.compose.project={compose_app.project}"]
    labels += ["--label", "com.docker.compose.service=canary"]
    sick = ["--health-cmd", "false", "--health-interval", "1s", "--health-retries", "1"]
    # Not the image's 30 s grace (failures in it do not count): 1 s.
    sick += ["--health-start-period", "1s"]
    say = ["--entrypoint", "sh", "tasks-backend:dev", "-c", "echo canary is sick; sleep 300"]
    container = subprocess.run(
        ["docker", "run", "--detach", *labels, *sick, *say],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    try:
        poll(
            lambda: (
                "unhealthy"
                in subprocess.run(
                    ["docker", "inspect", "--format", "{{.State.Health.Status}}", container],
                    capture_output=True,
                    text=True,
                ).stdout
                or None
            ),
            within=30,
            what="the canary unhealthy",
        )
        status, verdicts = doctor("containers", env=stack_env(compose_app))
    finally:
        subprocess.run(["docker", "rm", "--force", container], capture_output=True)

    (canary,) = [verdict for verdict in verdicts if verdict["check"] == "canary container"]
    print(f"\n{canary['finding']}")
    assert status == 1
    assert canary["status"] == "problem"
    assert "(unhealthy)" in canary["finding"]
    assert "canary is sick" in canary["finding"]


@pytest.mark.stack
def test_a_password_changed_after_the_volume_was_created_is_found_never_shown(
    compose_app: ComposeStack,
) -> None:
    changed = "a-new-password-the-volume-never-saw"
    env = stack_env(compose_app, POSTGRES_PASSWORD=changed)
    compose = ["docker", "compose", "--project-name", compose_app.project]
    subprocess.run(
        [*compose, "up", "--detach", "--no-deps", "backend"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    try:

        def refused() -> dict[str, Any] | None:
            _, verdicts = doctor("login", env=env)
            return verdicts[0] if verdicts[0]["status"] == "problem" else None

        verdict = poll(refused, within=60, what="the doctor finding the refused password", every=2)
        text = subprocess.run(
            [str(DOCTOR), "--only", "login"], capture_output=True, text=True, env=env
        ).stdout
    finally:
        subprocess.run(
            [*compose, "up", "--detach", "--no-deps", "--wait", "backend"],
            cwd=ROOT,
            env=compose_app.env,
            check=True,
            capture_output=True,
        )
    print(f"\n{text}")
    assert "POSTGRES_PASSWORD" in verdict["finding"]
    assert "docker compose --profile '*' down -v" in verdict["fix"]
    assert changed not in text
    assert changed not in json.dumps(verdict)


def test_every_login_refusal_the_backend_names_has_its_compose_fix_in_the_doctor() -> None:
    """The backend's readiness names each refusal by a reason id
    (backend/app/database/diagnosis.py); the doctor keys its fixes by the same ids. Both
    change together, or this fails. Two refusals have no fix to give: the backend's log
    holds their cause (an SSL failure, a refusal in words the backend does not know)."""
    loader = importlib.machinery.SourceFileLoader("doctor", str(DOCTOR))
    spec = importlib.util.spec_from_loader("doctor", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    named = {reason.id for reason in diagnosis.REFUSALS}
    only_in_the_log = {diagnosis.SSL_FAILED.id, diagnosis.REFUSED.id}

    assert set(module.LOGIN_FIXES) == named - only_in_the_log


@pytest.mark.stack
def test_a_database_name_changed_after_the_volume_was_created_is_named_with_its_fix(
    compose_app: ComposeStack,
) -> None:
    """POSTGRES_DB=tasks2 on a volume created with tasks: the db container's health check
    meets PostgreSQL's refusal (pg_isready would not), and the doctor names it, with the
    databases the volume does hold."""
    env = stack_env(compose_app, POSTGRES_DB="tasks2")
    compose_app.compose("up", "--detach", "--no-deps", "db", env=env)
    try:
        (db_container,) = compose_app.compose("ps", "--quiet", "db").stdout.split()

        def probed() -> str | None:
            health = subprocess.run(
                ["docker", "inspect", "--format", "{{json .State.Health}}", db_container],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            probes = json.loads(health)["Log"]
            return "\n".join(probe["Output"] for probe in probes) if probes else None

        health = poll(probed, within=60, what="the db's first health check", every=1)
        status, verdicts = doctor("login", env=env)
    finally:
        compose_app.compose("up", "--detach", "--wait", "db", "backend")
    (verdict,) = verdicts
    print(f"\n{verdict['finding']}\n{verdict['fix']}")
    assert 'database "tasks2" does not exist' in health
    assert status == 1
    assert 'no database "tasks2" (POSTGRES_DB)' in verdict["finding"]
    assert "The volume holds: tasks." in verdict["finding"]
    assert "POSTGRES_DB" in verdict["fix"]
    assert "docker compose --profile '*' down -v" in verdict["fix"]


# The course page's "find the 3 errors" file, as printed (the exercise's text is the
# course's; only its build contexts are this project's, as in the page's hands-on section).
PAGE_EXERCISE = """\
services:
  backend:
    build: ./backend
    ports:
      - "8000:8000"
    environment:
      - DATABASE_URL=postgresql://user:pass@localhost:5432/tasks
  frontend:
    build: ./frontend
    ports:
      - "8000:80"
    depends_on:
      - backend
  db:
    image: postgres:16
    environment:
      - POSTGRES_USER=user
      - POSTGRES_PASSWORD=pass
      - POSTGRES_DB=tasks
"""
# The page's fixes, one at a time, in its order.
PAGE_FIXES = [
    ('- "8000:80"', '- "80:80"'),
    ("@localhost:5432", "@db:5432"),
    (
        "      - POSTGRES_DB=tasks\n",
        "      - POSTGRES_DB=tasks\n    volumes:\n      - postgres_data:/var/lib/postgresql/data\n"
        "volumes:\n  postgres_data:\n",
    ),
]
FILE_CHECKS = (
    "compose file: ports",
    "compose file: database host",
    "compose file: database volume",
)


@pytest.mark.stack
def test_the_pages_three_errors_are_named_one_by_one_until_its_fixes(tmp_path: Path) -> None:
    """make doctor on the page's exercise file names each of its three errors, and each of
    the page's fixes, applied in turn, clears its own."""
    exercise = tmp_path / "docker-compose.yml"
    text = PAGE_EXERCISE
    problems_seen = []
    for fix in [None, *PAGE_FIXES]:
        if fix is not None:
            text = text.replace(*fix)
        exercise.write_text(text)
        _, verdicts = doctor("file", env={**os.environ, "COMPOSE_FILE": str(exercise)})
        problems_seen.append(
            [v["check"] for v in verdicts if v["status"] == "problem" and v["check"] in FILE_CHECKS]
        )
        if fix is None:
            named = {v["check"]: v for v in verdicts}
            print("\n" + "\n".join(f"{v['finding']}\n  -> {v['fix']}" for v in verdicts))
            assert "both publish port 8000" in named["compose file: ports"]["finding"]
            assert '"80:80"' in named["compose file: ports"]["fix"]
            host = named["compose file: database host"]
            assert "localhost is the container itself" in host["finding"]
            assert "@db:5432" in host["fix"]
            assert "every task with it" in named["compose file: database volume"]["finding"]

    assert problems_seen == [list(FILE_CHECKS), list(FILE_CHECKS[1:]), [FILE_CHECKS[2]], []]


@pytest.mark.stack
def test_an_env_file_with_a_byte_order_mark_is_read_as_compose_reads_it(tmp_path: Path) -> None:
    """Given a .env saved by an editor with a UTF-8 byte order mark, its first variable
    counts (FRONTEND_PORT here): the doctor takes the ports from Compose's own reading."""
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        (tmp_path / ".env").write_text(
            f"FRONTEND_PORT={taken}\nBACKEND_PORT={free_port()}\n", encoding="utf-8-sig"
        )
        env = {**os.environ, "COMPOSE_FILE": str(tmp_path / "docker-compose.yml")}
        for variable in ("FRONTEND_PORT", "BACKEND_PORT", "COMPOSE_PROJECT_NAME"):
            env.pop(variable, None)
        _, verdicts = doctor("ports", env=env)

    checks = {verdict["check"]: verdict["status"] for verdict in verdicts}
    assert (tmp_path / ".env").read_bytes().startswith(b"\xef\xbb\xbf")
    assert checks.get(f"port {taken}") == "problem", checks
