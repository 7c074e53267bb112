"""The course page's `.dockerignore`: without it, `COPY . .` bakes a developer's `.env`
(secrets) into the image."""

import secrets
import subprocess
import tarfile
from pathlib import Path

from effects import api_answers, services_running
from workspace import Condition, Workspace, failed, passed

# Planted in the workspace, as a developer's local settings; the check looks for them in
# every file of the image.
SECRET_FILES = ("backend/.env", "backend/.env.production")
TOKENS = "tokens.txt"


# For make test (e2e/test_drills.py): the condition make check fails after the set-up and
# your first move, and words of its message.
BROKEN = ("secret", "/app/.env")


def setup(ws: Workspace) -> None:
    ws.create(("backend",))
    ws.put(Path(__file__).parent / "files")
    tokens = []
    for name in SECRET_FILES:
        token = f"tok_{secrets.token_hex(16)}"
        tokens.append(token)
        ws.write(name, f"# This machine only.\nAPI_TOKEN={token}\n")
    # Outside the build context: the check's own record of what to look for.
    ws.write(TOKENS, "\n".join(tokens) + "\n")
    ws.base_image_override()


def files_holding(ws: Workspace, image: str, tokens: list[str]) -> list[str]:
    """Every file of `image` that holds one of `tokens`: the image's file system, read whole
    (docker export of a container created from it, never started)."""
    created = ws.docker("create", image)
    container = created.stdout.strip()
    found = []
    try:
        export = subprocess.Popen(["docker", "export", container], stdout=subprocess.PIPE)
        assert export.stdout is not None
        with tarfile.open(fileobj=export.stdout, mode="r|") as archive:
            for member in archive:
                if not member.isfile() or member.size > 4_000_000:
                    continue
                content = archive.extractfile(member)
                data = content.read() if content else b""
                if any(token.encode() in data for token in tokens):
                    found.append("/" + member.name)
        export.wait()
    finally:
        ws.docker("rm", "--force", container)
    return found


def no_secret(ws: Workspace) -> Condition:
    said = "the backend's image holds none of the tokens in your .env files"
    built = ws.compose("build", "backend")
    if built.returncode != 0:
        return failed("secret", said, f"the image does not build: {built.stderr.strip()[-300:]}")
    image = ws.compose("config", "--images").stdout.split()[0]
    found = files_holding(ws, image, ws.read(TOKENS).split())
    if not found:
        return passed("secret", said)
    return failed(
        "secret",
        said,
        f"the image holds {', '.join(found)}, with its token: COPY . . copies all the build "
        "context holds, and backend/.dockerignore does not keep those files out of it",
    )


def check(ws: Workspace) -> list[Condition]:
    return [no_secret(ws), services_running(ws, ("backend",)), api_answers(ws)]
