"""The course page's "copy dependencies before the code": a one-line change must not
reinstall the dependencies, measured from the build's own output."""

import re
from pathlib import Path

from effects import api_answers, services_running
from workspace import Condition, Workspace, failed, not_checked, passed

# A step that installs dependencies, in BuildKit's plain progress output.
INSTALL = re.compile(r"^#(\d+) \[[^\]]*\] RUN (.*(?:uv sync|pip install|uv pip install).*)$", re.M)
CHANGED = "backend/main.py"


# For make test (e2e/test_drills.py): the condition make check fails after the set-up and
# your first move, and words of its message.
BROKEN = ("cache", "not CACHED")


def setup(ws: Workspace) -> None:
    ws.create(("backend",))
    ws.put(Path(__file__).parent / "files")
    ws.base_image_override()


def build(ws: Workspace) -> tuple[int, str]:
    result = ws.compose("--progress", "plain", "build", "backend", timeout=900)
    return result.returncode, result.stdout + result.stderr


def installs_once(ws: Workspace) -> Condition:
    """Builds (so the cache holds your Dockerfile's steps), changes one comment line in
    main.py, builds again, and reads whether the install step ran again."""
    said = "after a one-line code change, the build takes the dependencies from its cache"
    status, output = build(ws)
    if status != 0:
        return failed("cache", said, f"the image does not build: {output.strip()[-300:]}")
    original = ws.read(CHANGED)
    try:
        ws.write(CHANGED, original + "# make check: a one-line change\n")
        status, output = build(ws)
    finally:
        ws.write(CHANGED, original)
    if status != 0:
        return not_checked("cache", said, f"the second build failed: {output.strip()[-300:]}")
    steps = INSTALL.findall(output)
    if not steps:
        return not_checked("cache", said, "no step of the build installs dependencies (uv sync)")
    ran_again = []
    for number, command in steps:
        cached = re.search(rf"^#{number} CACHED$", output, re.M)
        took = re.search(rf"^#{number} DONE ([\d.]+)s$", output, re.M)
        if not cached:
            ran_again.append(f"RUN {command.strip()} ({took.group(1) if took else '?'} s)")
    if not ran_again:
        return passed("cache", said)
    return failed(
        "cache",
        said,
        f"after a one-line change to main.py, the build ran {'; '.join(ran_again)} again, "
        "not CACHED: a step runs again when anything it depends on changed, and so does "
        "every step after it; here the install comes after COPY . ., which any code change "
        "changes",
    )


def check(ws: Workspace) -> list[Condition]:
    return [installs_once(ws), services_running(ws, ("backend",)), api_answers(ws)]
