"""The Kubernetes manifests (deploy/k8s), validated offline since no cluster runs here:
kustomize builds each overlay, the output is checked against the Kubernetes API schemas
strictly, by checkov's policies, and by the rules below. A broken copy shows they bite."""

import base64
import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from support.connection_budget import available, needed
from support.paths import FRONTEND_DOCKERFILE, ROOT

K8S = ROOT / "deploy" / "k8s"
TOOLS = ROOT / ".tools" / "bin"
OVERLAYS = ["dev", "prod"]
WORKLOADS = {"Deployment", "StatefulSet", "CronJob"}

Doc = dict[str, Any]


def tool(name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TOOLS / name), *args], capture_output=True, text=True, check=check, timeout=300
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each overlay built with kustomize, from a copy with the example env files in place."""
    work = tmp_path_factory.mktemp("k8s")
    tree = work / "k8s"
    shutil.copytree(K8S, tree)
    for example in tree.rglob("*.env.example"):
        shutil.copy(example, example.with_suffix(""))
    outputs = {}
    for overlay in OVERLAYS:
        output = work / f"{overlay}.yaml"
        output.write_text(tool("kubectl", "kustomize", str(tree / "overlays" / overlay)).stdout)
        outputs[overlay] = output
    return outputs


def docs(path: Path) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def pod_spec(doc: Doc) -> Doc:
    template = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    spec: Doc = template["template"]["spec"]
    return spec


def violations(manifests: list[Doc]) -> list[str]:
    """What breaks this project's rules for workloads and services."""
    found = []
    for doc in manifests:
        if doc["kind"] not in WORKLOADS:
            continue
        name, spec = f"{doc['kind']}/{doc['metadata']['name']}", pod_spec(doc)
        pod_security = spec.get("securityContext", {})
        if not pod_security.get("runAsNonRoot"):
            found.append(f"{name}: runAsNonRoot")
        if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            found.append(f"{name}: seccomp")
        for container in spec["containers"]:
            where = f"{name}/{container['name']}"
            security = container.get("securityContext", {})
            if not security.get("readOnlyRootFilesystem"):
                found.append(f"{where}: read-only root file system")
            if security.get("allowPrivilegeEscalation") is not False:
                found.append(f"{where}: privilege escalation")
            if security.get("capabilities", {}).get("drop") != ["ALL"]:
                found.append(f"{where}: capabilities")
            if not {"cpu", "memory"} <= set(container.get("resources", {}).get("limits", {})):
                found.append(f"{where}: limits")
            image = container["image"]
            if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
                found.append(f"{where}: image not pinned ({image})")
            if doc["kind"] != "CronJob":
                for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                    if probe not in container:
                        found.append(f"{where}: {probe}")
                ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
                for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                    port = container.get(probe, {}).get("httpGet", {}).get("port")
                    if port is not None and port not in ports and port not in ports.values():
                        found.append(f"{where}: {probe} port {port} is not a container port")
    pods = {
        doc["metadata"]["name"]: (doc["spec"]["template"]["metadata"]["labels"], pod_spec(doc))
        for doc in manifests
        if doc["kind"] in {"Deployment", "StatefulSet"}
    }
    for service in (doc for doc in manifests if doc["kind"] == "Service"):
        selected = [
            spec
            for labels, spec in pods.values()
            if service["spec"]["selector"].items() <= labels.items()
        ]
        if not selected:
            found.append(f"Service/{service['metadata']['name']}: selects no pod")
            continue
        names = {
            port["name"] for spec in selected for c in spec["containers"] for port in c["ports"]
        }
        for port in service["spec"]["ports"]:
            if port["targetPort"] not in names:
                found.append(f"Service/{service['metadata']['name']}: no port {port['targetPort']}")
    return found


def flows(manifests: list[Doc]) -> set[tuple[str, str, int]]:
    """(from, to, port) for every flow the NetworkPolicies allow."""

    def who(peer: Doc) -> str:
        if "namespaceSelector" in peer:
            namespace = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            pods = peer.get("podSelector", {}).get("matchLabels", {}).get("k8s-app")
            return f"{namespace}/{pods}" if pods else namespace
        return str(peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"])

    allowed = set()
    for policy in (doc for doc in manifests if doc["kind"] == "NetworkPolicy"):
        spec = policy["spec"]
        selected = spec["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name", "*")
        for rule in spec.get("ingress", []):
            for peer in rule["from"]:
                allowed |= {(who(peer), selected, port["port"]) for port in rule["ports"]}
        for rule in spec.get("egress", []):
            for peer in rule.get("to", [{"anywhere": True}]):
                target = "anywhere" if "anywhere" in peer else who(peer)
                allowed |= {(selected, target, port["port"]) for port in rule["ports"]}
    return allowed


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_builds_and_is_valid_against_the_api_schemas(
    rendered: dict[str, Path], overlay: str
) -> None:
    result = tool("kubernetes-validate", "--strict", "--quiet", str(rendered[overlay]), check=False)
    versions = tool("kubectl", "version", "--client").stdout.replace("\n", ", ")

    print(f"\n{overlay}: {len(docs(rendered[overlay]))} objects; {versions}")
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_finds_nothing_and_every_skip_says_why(rendered: dict[str, Path]) -> None:
    files = [argument for path in rendered.values() for argument in ("-f", str(path))]
    result = tool(
        "checkov",
        *files,
        "--framework",
        "kubernetes",
        "--compact",
        "--quiet",
        "--skip-download",
        check=False,
    )
    skips = [
        value
        for path in rendered.values()
        for doc in docs(path)
        for key, value in doc["metadata"].get("annotations", {}).items()
        if key.startswith("checkov.io/skip")
    ]

    assert result.returncode == 0, result.stdout[-4000:]
    assert skips
    assert all(len(value.split("=", 1)[1]) > 20 for value in skips)  # a reason, not a shrug


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workloads_and_services_follow_the_rules(rendered: dict[str, Path], overlay: str) -> None:
    assert violations(docs(rendered[overlay])) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_but_the_namespace_lives_in_it(
    rendered: dict[str, Path], overlay: str
) -> None:
    # What lets .trivyignore.yaml accept KSV-0110 on the files kustomize builds from.
    namespaces = {
        f"{doc['kind']}/{doc['metadata']['name']}": doc["metadata"].get("namespace")
        for doc in docs(rendered[overlay])
    }

    assert namespaces.pop("Namespace/tasks") is None
    assert set(namespaces.values()) == {"tasks"}


def test_network_policies_allow_exactly_the_planned_flows(rendered: dict[str, Path]) -> None:
    base = {
        ("*", "kube-system/kube-dns", 53),
        ("ingress-nginx", "frontend", 8080),
        ("frontend", "backend", 8000),
        ("backend", "anywhere", 5432),  # PostgreSQL may be outside the cluster (prod)
    }
    in_cluster_database = {
        ("backend", "postgres", 5432),
        ("postgres-backup", "postgres", 5432),
    }

    assert flows(docs(rendered["prod"])) == base
    assert flows(docs(rendered["dev"])) == base | in_cluster_database


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_frontend_pod_can_bind_the_port_its_image_listens_on(
    rendered: dict[str, Path], overlay: str
) -> None:
    """nginx listens on NGINX_PORT (the image's 80, as the course's Dockerfile, unless the
    pod sets it), as user 101 with no capability: the pod declares that port, its network
    namespace lets that user bind it (a port from 1024 up, unless a sysctl lowers that),
    and the ingress controller may reach it."""
    image_port = int(re.findall(r"\bNGINX_PORT=(\d+)", FRONTEND_DOCKERFILE.read_text())[0])
    manifests = docs(rendered[overlay])
    (frontend,) = [
        doc
        for doc in manifests
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "frontend"
    ]
    spec = pod_spec(frontend)
    (container,) = spec["containers"]
    env = {item["name"]: item.get("value") for item in container.get("env", [])}
    listening = int(env.get("NGINX_PORT", image_port))
    sysctls = {item["name"]: item["value"] for item in spec["securityContext"].get("sysctls", [])}
    lowest_unprivileged = int(sysctls.get("net.ipv4.ip_unprivileged_port_start", 1024))
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}

    assert ports["http"] == listening
    assert listening >= lowest_unprivileged, f"user 101 cannot bind {listening} in this pod"
    assert ("ingress-nginx", "frontend", listening) in flows(manifests)


def test_prod_runs_published_images_pinned_to_a_commit(rendered: dict[str, Path]) -> None:
    images = {
        container["image"]
        for doc in docs(rendered["prod"])
        if doc["kind"] in WORKLOADS
        for container in pod_spec(doc)["containers"]
    }

    assert images
    assert all(image.rsplit(":", 1)[1].startswith("sha-") for image in images)


def test_the_checks_catch_a_broken_manifest(rendered: dict[str, Path], tmp_path: Path) -> None:
    manifests = docs(rendered["dev"])
    broken = copy.deepcopy(manifests)
    backend = next(
        doc
        for doc in broken
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "backend"
    )
    container = pod_spec(backend)["containers"][0]
    del container["securityContext"]["readOnlyRootFilesystem"]
    del container["resources"]["limits"]
    container["image"] = "tasks-backend:latest"
    del container["readinessProbe"]
    container["unknownField"] = True
    service = next(
        doc for doc in broken if doc["kind"] == "Service" and doc["metadata"]["name"] == "frontend"
    )
    service["spec"]["selector"] = {"app.kubernetes.io/name": "nothing"}
    broken_file = tmp_path / "broken.yaml"
    broken_file.write_text(yaml.safe_dump_all(broken))

    found = violations(broken)
    strict = tool("kubernetes-validate", "--strict", "--quiet", str(broken_file), check=False)

    assert found == [
        "Deployment/backend/backend: read-only root file system",
        "Deployment/backend/backend: limits",
        "Deployment/backend/backend: image not pinned (tasks-backend:latest)",
        "Deployment/backend/backend: readinessProbe",
        "Service/frontend: selects no pod",
    ]
    assert strict.returncode != 0
    assert "unknownField" in strict.stdout + strict.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_password_is_a_file_never_part_of_a_url(
    rendered: dict[str, Path], overlay: str
) -> None:
    """Any password works: the Secret's DATABASE_URL holds none, the backend reads the
    password from the Secret mounted as a file, and PostgreSQL (dev) from the same key."""
    manifests = docs(rendered[overlay])
    (secret,) = [doc for doc in manifests if doc["kind"] == "Secret"]
    url = base64.b64decode(secret["data"]["DATABASE_URL"]).decode()
    (backend,) = [
        doc
        for doc in manifests
        if doc["metadata"]["name"] == "backend" and doc["kind"] == "Deployment"
    ]
    (container,) = pod_spec(backend)["containers"]
    env = {item["name"]: item for item in container["env"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod_spec(backend)["volumes"]}

    assert "POSTGRES_PASSWORD" in secret["data"]
    assert urlsplit(url).password is None, f"{overlay}: DATABASE_URL carries a password"
    password_file = Path(env["DATABASE_PASSWORD_FILE"]["value"])
    secret_volume = volumes[mounts[str(password_file.parent)]]["secret"]
    assert secret_volume["secretName"] == secret["metadata"]["name"]
    assert {"key": "POSTGRES_PASSWORD", "path": password_file.name} in secret_volume["items"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_most_backends_the_autoscaler_runs_fit_in_postgresqls_connections(
    rendered: dict[str, Path], overlay: str
) -> None:
    """The connection budget (support/connection_budget.py): the autoscaler's maxReplicas,
    plus the pods a rolling update adds (maxSurge), each holding its pool, its overflow and
    its watcher's connection, with the operations' reserve, fit in PostgreSQL's
    max_connections (the default: the dev overlay's server sets none, and prod's, outside
    the cluster, is assumed to have at least it) less the superusers' slots."""
    manifests = docs(rendered[overlay])
    (autoscaler,) = [d for d in manifests if d["kind"] == "HorizontalPodAutoscaler"]
    (backend,) = [
        d for d in manifests if d["kind"] == "Deployment" and d["metadata"]["name"] == "backend"
    ]
    surge = backend["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    assert isinstance(surge, int), "a maxSurge in percent: count it here"
    backends = autoscaler["spec"]["maxReplicas"] + surge
    (container,) = pod_spec(backend)["containers"]
    env = {item["name"]: item["value"] for item in container.get("env", []) if "value" in item}

    print(f"\n{overlay}: {backends} backends: {needed(backends, env)} of {available()}")
    assert needed(backends, env) <= available()
