"""Trivy's offline scans of the repository, as `make test` runs them from its root with
trivy.yaml: `trivy config .` (Dockerfiles, Kubernetes manifests) and `trivy fs --scanners
secret .`. Each runs on a copy of the files git holds or could hold; a planted fault must
fail it, and every finding accepted in .trivyignore.yaml must still be there, with its
reason."""

import base64
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.paths import ROOT

TRIVY = ROOT / ".tools" / "bin" / "trivy"

# Secrets made when the test runs, so that none is written in this file. Their shapes are
# what Trivy's built-in rules look for: a GitHub token, an AWS access key ID, a private key.
GITHUB_TOKEN = "ghp_" + "Zq8" * 12
AWS_ACCESS_KEY_ID = "AKIA" + "Q7ZL" * 4
_KEY_BODY = base64.b64encode(bytes(range(256)) * 2).decode()
PRIVATE_KEY = "\n".join(
    [
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        *(_KEY_BODY[i : i + 70] for i in range(0, len(_KEY_BODY), 70)),
        "-----END OPENSSH PRIVATE KEY-----",
    ]
)
PASSWORD = "Vr7" + "kq2" * 5
# A token in a URL, as in a clone command.
CLONE_URL = "https://ci:" + GITHUB_TOKEN + "@git.internal/tasks"


def tree_copy(destination: Path) -> Path:
    """The files git tracks, and those it would add (not ignored), as in a fresh clone: what
    `make test` scans (.ci/checkout-copy)."""
    subprocess.run([str(ROOT / ".ci" / "checkout-copy"), str(destination)], check=True)
    return destination


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return tree_copy(tmp_path / "tree")


def trivy(tree: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    """Trivy run from the root of `tree` (so that it reads that tree's trivy.yaml): its
    exit status and the report's results."""
    result = subprocess.run(
        [str(TRIVY), *args, "--quiet", "--format", "json", "."],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # 1 is also Trivy's status for an error: then there is no report.
    assert result.returncode in (0, 1), result.stderr
    assert result.stdout.strip(), result.stderr
    results: list[dict[str, Any]] = json.loads(result.stdout).get("Results") or []
    return result.returncode, results


def secrets_found(tree: Path) -> tuple[int, set[tuple[str, str]]]:
    """(file, rule) for each secret the repository's secret scan finds."""
    status, results = trivy(tree, "fs", "--scanners", "secret")
    return status, {
        (result["Target"], secret["RuleID"])
        for result in results
        for secret in result.get("Secrets") or []
    }


def misconfigurations_found(tree: Path, *args: str) -> tuple[int, set[tuple[str, str]]]:
    """(file, check) for each misconfiguration `trivy config` finds."""
    status, results = trivy(tree, "config", *args)
    return status, {
        (result["Target"], finding["ID"])
        for result in results
        for finding in result.get("Misconfigurations") or []
    }


def test_the_repository_scans_clean(tree: Path) -> None:
    assert secrets_found(tree) == (0, set())
    assert misconfigurations_found(tree) == (0, set())


def append(path: str, text: str) -> Callable[[Path], None]:
    def plant(tree: Path) -> None:
        (tree / path).write_text((tree / path).read_text() + text)

    return plant


def create(path: str, text: str) -> Callable[[Path], None]:
    def plant(tree: Path) -> None:
        (tree / path).write_text(text)

    return plant


def replace(path: str, old: str, new: str) -> Callable[[Path], None]:
    def plant(tree: Path) -> None:
        text = (tree / path).read_text()
        assert old in text  # the secret is really planted
        (tree / path).write_text(text.replace(old, new, 1))

    return plant


# Where a secret is planted, and what must find it. Trivy alone would miss those in a
# Markdown file, a file named *example* or a test file (trivy-secret.yaml turns its
# built-in skips off), and every database password (no built-in rule knows them).
PLANTED = {
    "token in the code": (
        create("backend/app/deploy_token.py", f'TOKEN = "{GITHUB_TOKEN}"\n'),
        {("backend/app/deploy_token.py", "github-pat")},
    ),
    "token in the README": (
        append("README.md", f"\nexport GITHUB_TOKEN={GITHUB_TOKEN}\n"),
        {("README.md", "github-pat")},
    ),
    "cloud key in .env.example": (
        append(".env.example", f"AWS_ACCESS_KEY_ID={AWS_ACCESS_KEY_ID}\n"),
        {(".env.example", "aws-access-key-id")},
    ),
    "private key in a test": (
        append("backend/tests/conftest.py", f'\nDEPLOY_KEY = """{PRIVATE_KEY}"""\n'),
        {("backend/tests/conftest.py", "private-key")},
    ),
    "password in docker-compose.yml": (
        replace(
            "docker-compose.yml",
            "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-tasks}",
            f"POSTGRES_PASSWORD: {PASSWORD}",
        ),
        {("docker-compose.yml", "password-assignment")},
    ),
    "password in a Kubernetes env example": (
        replace(
            "deploy/k8s/overlays/prod/database.env.example",
            "POSTGRES_PASSWORD=change-me",
            f"POSTGRES_PASSWORD={PASSWORD}",
        ),
        {("deploy/k8s/overlays/prod/database.env.example", "password-assignment")},
    ),
    "password in the URL of a Kubernetes env example": (
        replace(
            "deploy/k8s/overlays/dev/database.env.example",
            "postgresql://tasks@",
            "postgresql://tasks:" + PASSWORD + "@",  # in pieces: the scan reads this file too
        ),
        {("deploy/k8s/overlays/dev/database.env.example", "password-in-url")},
    ),
    "token in a URL in the docs": (
        append("docs/ci-cd.md", f"\n    git clone {CLONE_URL}\n"),
        {("docs/ci-cd.md", "password-in-url"), ("docs/ci-cd.md", "github-pat")},
    ),
}


def test_planted_secrets_fail_the_secret_scan(tree: Path) -> None:
    # All in one copy, one scan: each finding names its file and rule.
    for plant, _ in PLANTED.values():
        plant(tree)

    status, found = secrets_found(tree)

    assert status == 1
    assert found == set().union(*(expected for _, expected in PLANTED.values()))


def test_your_own_env_file_is_not_scanned(tree: Path) -> None:
    # .env is git-ignored: it is where a real password belongs.
    (tree / ".env").write_text(f"POSTGRES_PASSWORD={PASSWORD}\nGITHUB_TOKEN={GITHUB_TOKEN}\n")

    assert secrets_found(tree) == (0, set())


def test_trivy_skips_only_what_git_ignores() -> None:
    settings = yaml.safe_load((ROOT / "trivy.yaml").read_text())["scan"]
    # A file inside each skipped folder; a file for each skipped pattern.
    paths = [f"{folder}/file" for folder in settings["skip-dirs"]] + [
        pattern.replace("*", "dev") for pattern in settings["skip-files"]
    ]

    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        cwd=ROOT,
        input="\n".join(paths),
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()

    assert ignored == paths


def test_a_misconfigured_dockerfile_or_manifest_fails_the_config_scan(tree: Path) -> None:
    replace("backend/Dockerfile", "USER 10001:10001", "USER root")(tree)
    replace("deploy/k8s/base/backend.yaml", "runAsNonRoot: true", "runAsNonRoot: false")(tree)
    # A new stand-in is not covered by the acceptances of the others.
    shutil.copy(tree / ".ci/standins/python.Dockerfile", tree / ".ci/standins/ruby.Dockerfile")

    status, found = misconfigurations_found(tree)

    assert status == 1
    assert found == {
        ("backend/Dockerfile", "DS-0002"),
        ("deploy/k8s/base/backend.yaml", "KSV-0012"),
        (".ci/standins/ruby.Dockerfile", "DS-0002"),
        (".ci/standins/ruby.Dockerfile", "DS-0026"),
    }


def test_every_acceptance_is_needed_names_its_files_and_says_why(tree: Path) -> None:
    accepted = yaml.safe_load((ROOT / ".trivyignore.yaml").read_text())
    pairs = set()
    for kind, entries in accepted.items():
        assert kind == "misconfigurations"  # no secret is accepted
        for entry in entries:
            assert len(entry["statement"]) > 80, entry  # a reason, not a shrug
            assert entry["paths"], entry  # never a whole check, everywhere
            pairs |= {(path, entry["id"]) for path in entry["paths"]}

    # Without the acceptances: each accepted finding is still there.
    _, found = misconfigurations_found(tree, "--ignorefile", "")

    assert pairs <= found
    assert pairs == found  # and nothing else
