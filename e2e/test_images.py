"""The Docker module's image lessons, proven on our Dockerfiles: dependencies are a layer
of their own, rebuilt when the lock file changes and not when the code does;
.dockerignore keeps secrets, history, local environments and tests out; each image's
SBOM (syft, CycloneDX) lists exactly the locked packages it holds, none of the dev tools;
and the images pass the secret half of the images workflow's Trivy scan.
Needs a Docker engine; builds copies of backend/ and frontend/ in temporary folders."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness.polling import wait_for_http
from packaging.requirements import Requirement

from support.docker_builds import buildkit_env, stand_in_build_args
from support.paths import ROOT

pytestmark = pytest.mark.stack


def docker_build(context: Path, tag: str, target: str | None = None) -> tuple[str, float]:
    """`docker build` with BuildKit; returns the image id and the seconds it took."""
    env = buildkit_env()
    command = ["docker", "build", "--quiet", "-t", tag, *stand_in_build_args()]
    if target:
        command += ["--target", target]
    started = time.monotonic()
    result = subprocess.run(
        [*command, str(context)], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr[-3000:]
    image_id = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", tag],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return image_id, time.monotonic() - started


@pytest.fixture
def tags() -> Iterator[list[str]]:
    """Image tags a test builds, removed afterwards."""
    made: list[str] = []
    yield made
    if made:
        subprocess.run(["docker", "rmi", "--force", *made], capture_output=True, check=False)


def copy_of(service: str, tmp_path: Path) -> Path:
    context = tmp_path / service
    shutil.copytree(
        ROOT / service, context, ignore=shutil.ignore_patterns("node_modules", ".venv", "dist")
    )
    return context


def append(path: Path, text: str) -> None:
    """Add `text` and a marker of this run, so that no earlier build's cache fits."""
    path.write_text(path.read_text() + text.replace("changed", f"changed {uuid.uuid4().hex}"))


@pytest.mark.parametrize(
    ("service", "code_change", "lock_change"),
    [
        (
            "backend",
            lambda c: append(c / "app" / "app.py", "# changed\n"),
            lambda c: append(c / "uv.lock", "# changed\n"),
        ),
        (
            "frontend",
            lambda c: append(c / "src" / "App.tsx", "// changed\n"),
            lambda c: append(c / "bun.lock", "\n// changed\n"),
        ),
    ],
)
def test_code_changes_reuse_the_dependency_layer_lock_changes_rebuild_it(
    service: str,
    code_change: Callable[[Path], None],
    lock_change: Callable[[Path], None],
    tmp_path: Path,
    tags: list[str],
) -> None:
    context = copy_of(service, tmp_path)
    tag = f"tasks-cache-test-{service}"
    tags.extend([f"{tag}:deps", f"{tag}:image"])
    before, _ = docker_build(context, f"{tag}:deps", target="deps")
    docker_build(context, f"{tag}:image")

    code_change(context)
    after_code, _ = docker_build(context, f"{tag}:deps", target="deps")
    _, rebuild_seconds = docker_build(context, f"{tag}:image")
    lock_change(context)
    after_lock, lock_seconds = docker_build(context, f"{tag}:deps", target="deps")

    print(
        f"\n{service}: rebuild after a one-line code change {rebuild_seconds:.1f} s "
        f"(dependency layer reused); after a lock file change, the dependency stage "
        f"alone {lock_seconds:.1f} s (rebuilt)"
    )
    assert after_code == before
    assert after_lock != before


# What the tools run here leave in a service's folder, planted before a build. Every
# planted file has "decoy" in its name, or one of EXACT_NAMES (names tools choose).
DECOYS = {
    ".env": "SECRET=decoy\n",
    ".env.local": "SECRET=decoy\n",
    ".git/HEAD": "ref: refs/heads/decoy\n",
    ".DS_Store": "decoy\n",
    "decoy.swp": "an editor's swap file\n",
    ".idea/decoy.xml": "an editor's settings\n",
}
PYTHON_DECOYS = {
    ".venv/decoy.txt": "a local virtual environment (uv)\n",
    "__pycache__/decoy.cpython-311.pyc": "bytecode\n",
    "app/__pycache__/decoy.cpython-311.pyc": "bytecode beside the code\n",
    "app/.decoy.py.swp": "an editor's swap file beside the code\n",
    "migrations/versions/__pycache__/decoy.cpython-311.pyc": "bytecode\n",
    ".pytest_cache/v/decoy": "pytest\n",
    ".hypothesis/examples/decoy": "Hypothesis\n",
    ".schemathesis/decoy.json": "Schemathesis\n",
    ".coverage": "coverage.py\n",
    ".coverage.decoy.1234.XyZ": "coverage.py, parallel mode\n",
    "htmlcov/decoy.html": "coverage.py's report\n",
    "coverage.xml": "coverage.py's report\n",
    ".mypy_cache/3.11/decoy.json": "mypy\n",
    ".ruff_cache/decoy": "ruff\n",
    ".benchmarks/decoy.json": "pytest-benchmark\n",
    "reports/decoy.xml": "JUnit reports\n",
    "tests/test_decoy.py": "the tests\n",
    "harness/decoy.py": "the test harness\n",
}
NODE_DECOYS = {
    "node_modules/decoy/index.js": "// local dependencies (bun)\n",
    "node_modules/.vite/decoy.json": "Vite's dependency cache\n",
    "node_modules/.vitest/decoy.json": "Vitest's cache\n",
    ".vite/decoy.json": "Vite's cache\n",
    "dist/decoy.js": "a local build\n",
    "coverage/decoy.html": "Vitest's coverage\n",
    "tsconfig.decoy.tsbuildinfo": "tsc\n",
    "src/decoy.test.tsx": "a test\n",
    "src/test/decoy.ts": "the tests' helpers\n",
    "src/.decoy.tsx.swp": "an editor's swap file beside the code\n",
    "scripts/decoy.ts": "a development script\n",
}
EXACT_NAMES = (".env", ".env.local", ".git", ".DS_Store", ".coverage", "coverage.xml")


@pytest.mark.parametrize(
    ("service", "target", "workdir", "decoys"),
    [
        ("backend", None, "/app", PYTHON_DECOYS),
        ("backend", "dev", "/app", PYTHON_DECOYS),
        ("frontend", "build", "/app", NODE_DECOYS),
    ],
)
def test_dockerignore_lets_no_tool_cache_or_secret_into_the_image(
    service: str,
    target: str | None,
    workdir: str,
    decoys: dict[str, str],
    tmp_path: Path,
    tags: list[str],
) -> None:
    """Every cache and report the project's tools write, planted in a copy of the
    service's folder: after a build, none of them is in the image."""
    context = copy_of(service, tmp_path)
    for relative, text in {**DECOYS, **decoys}.items():
        (context / relative).parent.mkdir(parents=True, exist_ok=True)
        (context / relative).write_text(text)
    tag = f"tasks-ignore-test-{service}:{target or 'runtime'}-test"
    tags.append(tag)
    docker_build(context, tag, target=target)

    names = ["-name", "*decoy*"]
    for name in EXACT_NAMES:
        names += ["-o", "-name", name]
    listing = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "find", tag, workdir, *names],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    # The image's own node_modules/.venv are built in it; a planted file has "decoy" in
    # its name, so none of theirs is counted.
    assert listing.split() == []


# A seccomp profile that refuses IPv6 sockets as a kernel without IPv6 does (EAFNOSUPPORT,
# errno 97) and allows every other system call: a host where IPv6 is disabled.
NO_IPV6_SECCOMP = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
        {
            "names": ["socket"],
            "action": "SCMP_ACT_ERRNO",
            "errnoRet": 97,
            "args": [{"index": 0, "value": socket.AF_INET6, "op": "SCMP_CMP_EQ"}],
        }
    ],
}
# /proc/net/tcp and tcp6: a listening socket's state, and nginx's two ports in hex.
TCP_LISTEN = "0A"
NGINX_PORTS = {"0050": 80, "1F40": 8000}


@pytest.fixture(scope="module")
def frontend_image() -> Iterator[str]:
    """The frontend image, built from this checkout (the same layers as the other image
    tests'), removed afterwards."""
    tag = "tasks-ipv6-test-frontend:latest-test"
    docker_build(ROOT / "frontend", tag)
    yield tag
    subprocess.run(["docker", "rmi", "--force", tag], capture_output=True, check=False)


def listening_ports(container: str, table: str) -> set[int]:
    """nginx's ports with a listening socket in /proc/net/`table` (tcp: IPv4, tcp6: IPv6)."""
    lines = subprocess.run(
        ["docker", "exec", container, "cat", f"/proc/net/{table}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()[1:]
    ports = set()
    for line in lines:
        local, state = line.split()[1], line.split()[3]
        port = local.rsplit(":", 1)[1]
        if state == TCP_LISTEN and port in NGINX_PORTS:
            ports.add(NGINX_PORTS[port])
    return ports


@pytest.mark.parametrize("host_has_ipv6", [True, False])
def test_frontend_listens_on_ipv6_only_where_the_host_has_it(
    frontend_image: str, host_has_ipv6: bool, tmp_path: Path
) -> None:
    """Given the frontend image run as compose runs it (read-only, conf.d and /tmp in
    memory), on a host with IPv6 or one whose IPv6 sockets fail, when it starts, then it
    serves on IPv4 in both cases, and on IPv6 too where the host has it."""
    profile = tmp_path / "no-ipv6.json"
    profile.write_text(json.dumps(NO_IPV6_SECCOMP))
    seccomp = [] if host_has_ipv6 else ["--security-opt", f"seccomp={profile}"]
    container = f"tasks-ipv6-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "run", "--detach", "--name", container, "--read-only",
         "--tmpfs", "/tmp:uid=101,gid=101", "--tmpfs", "/etc/nginx/conf.d:uid=101,gid=101",
         "--cap-drop", "ALL", "--security-opt", "no-new-privileges", *seccomp,
         "--publish", "127.0.0.1::80", frontend_image],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    try:
        published = subprocess.run(
            ["docker", "port", container, "80/tcp"], check=True, capture_output=True, text=True
        ).stdout.split()[0]
        wait_for_http(f"http://{published}/healthz", within=30)
        logs = subprocess.run(
            ["docker", "logs", container], check=True, capture_output=True, text=True
        )
        ipv4, ipv6 = listening_ports(container, "tcp"), listening_ports(container, "tcp6")
    finally:
        subprocess.run(["docker", "rm", "--force", container], capture_output=True, check=False)

    output = logs.stdout + logs.stderr
    print(f"\nIPv6 {'available' if host_has_ipv6 else 'refused'}: IPv4 {ipv4}, IPv6 {ipv6}")
    assert ipv4 == {80, 8000}
    if host_has_ipv6:
        assert ipv6 == {80, 8000}
        assert "IPv6 available" in output
    else:
        assert ipv6 == set()
        assert "IPv6 not available here" in output


# ---- The images as released: their SBOMs, their secret scan -------------------------------
SERVICES = ["backend", "frontend"]
SYFT = ROOT / ".tools" / "bin" / "syft"
TRIVY = ROOT / ".tools" / "bin" / "trivy"
SBOMS = ROOT / "artifacts" / "sbom"
# The lock's packages as name==version lines, without the project itself or any group.
UV_EXPORT = ["uv", "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-header"]
UV_EXPORT += ["--no-annotate", "--no-default-groups"]
# What the image's Python says about itself, for the lock's environment markers.
MARKER_ENVIRONMENT = """
import json, os, platform, sys
print(json.dumps({
    "implementation_name": sys.implementation.name,
    "implementation_version": platform.python_version(),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_python_implementation": platform.python_implementation(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}))
"""


def normalized(name: str) -> str:
    """A Python package's name as PEP 503 compares them (Typing_Extensions = typing-extensions)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(*groups: str, environment: dict[str, str] | None = None) -> dict[str, str]:
    """{name: version} of the backend's uv.lock: the project's dependencies, with the
    dependency groups named ("--all-groups" for all); where an environment is given, only
    the packages whose markers hold there."""
    exported = subprocess.run(
        [*UV_EXPORT, *groups],
        cwd=ROOT / "backend",
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    packages = {}
    for line in exported.splitlines():
        requirement = Requirement(line)
        if environment and requirement.marker and not requirement.marker.evaluate(environment):
            continue
        packages[normalized(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return packages


def sbom_of(tag: str, name: str) -> dict[str, Any]:
    """The image's CycloneDX SBOM, by syft from the local engine, kept under artifacts/."""
    SBOMS.mkdir(parents=True, exist_ok=True)
    path = SBOMS / f"{name}.cdx.json"
    started = time.monotonic()
    result = subprocess.run(
        [str(SYFT), "scan", f"docker:{tag}", "--quiet", "-o", f"cyclonedx-json={path}"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        # No look for a newer syft: the tests' traffic stays on this machine.
        env={**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    sbom: dict[str, Any] = json.loads(path.read_text())
    print(
        f"\n{name}: SBOM of {len(sbom['components'])} components by syft in "
        f"{time.monotonic() - started:.1f} s: {path.relative_to(ROOT)}"
    )
    return sbom


def components(sbom: dict[str, Any], purl_type: str, under: str = "/") -> dict[str, str]:
    """{name: version} of the SBOM's packages of one kind (pypi, npm, deb...) found under a
    folder of the image."""
    found = {}
    for component in sbom["components"]:
        if not component.get("purl", "").startswith(f"pkg:{purl_type}/"):
            continue
        locations = [
            prop["value"]
            for prop in component.get("properties", [])
            if re.fullmatch(r"syft:location:\d+:path", prop["name"])
        ]
        if any(location.startswith(under) for location in locations):
            found[normalized(component["name"])] = component["version"]
    return found


@pytest.fixture(scope="module")
def images() -> Iterator[dict[str, str]]:
    """Each service's image as the images workflow builds it (its final stage), removed
    afterwards."""
    built = {service: f"tasks-release-test-{service}:latest-test" for service in SERVICES}
    try:
        for service, tag in built.items():
            docker_build(ROOT / service, tag)
        yield built
    finally:
        subprocess.run(["docker", "rmi", "--force", *built.values()], capture_output=True)


def test_backend_sbom_lists_exactly_the_locked_runtime_packages(images: dict[str, str]) -> None:
    tag = images["backend"]
    environment = json.loads(
        subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "python", tag, "-c", MARKER_ENVIRONMENT],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    runtime = locked(environment=environment)
    dev_only = locked("--all-groups").keys() - locked().keys()

    sbom = sbom_of(tag, "backend")
    in_venv = components(sbom, "pypi", under="/app/.venv/")

    assert {"fastapi", "uvicorn", "pydantic", "psycopg", "sqlalchemy", "alembic"} <= in_venv.keys()
    assert in_venv == runtime  # every locked runtime package at its locked version; no other
    assert {"pytest", "ruff", "mypy", "schemathesis"} <= dev_only
    assert components(sbom, "pypi").keys() & dev_only == set()  # anywhere in the image


def test_frontend_sbom_holds_the_web_server_and_no_npm_package(images: dict[str, str]) -> None:
    sbom = sbom_of(images["frontend"], "frontend")
    system = {**components(sbom, "deb"), **components(sbom, "apk")}

    # The npm packages are bundled into the built JavaScript, which no SBOM tool reads:
    # none is installed in the image, not one from node_modules (bun, vite, vitest...).
    assert components(sbom, "npm") == {}
    assert any(name.startswith("nginx") for name in system), sorted(system)


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_passes_the_images_workflows_secret_scan(
    service: str, images: dict[str, str]
) -> None:
    # The images workflow's Trivy scan looks for secrets too, from the repository's root,
    # with its trivy.yaml and trivy-secret.yaml: that half needs no database, so it runs
    # here (the vulnerability half only in GitHub).
    started = time.monotonic()
    result = subprocess.run(
        [str(TRIVY), "image", "--scanners", "secret", "--image-src", "docker", images[service]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    print(f"\n{service}: Trivy's secret scan of the image in {time.monotonic() - started:.1f} s")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
