"""BackendDown: a setting the backend refuses, so that it exits at start-up and its
restart policy starts it again and again."""

import time

from effects import api_answers
from incidents import API, Incident, incident_conditions, record_break, start_stack
from workspace import Condition, Workspace, failed, passed, poll

SETTING = "LOG_LEVEL=verbose"
INCIDENT = Incident(alert="BackendDown", cause="a setting it refuses")
# For make test (e2e/test_incident_drills.py): the condition make check fails once the
# page came, and words of its message.
BROKEN = ("resolved", "BackendDown is firing")


def setup(ws: Workspace) -> None:
    start_stack(ws)
    at = time.time()
    ws.write(
        ".env", ws.read(".env") + f"# More detail in the logs while we look into it\n{SETTING}\n"
    )
    ws.compose("up", "--detach", "--no-deps", "backend", timeout=300)
    crashing = poll(lambda: [s for s, n in restarts(ws).items() if n > 0], within=60, every=1)
    if crashing != ["backend"]:
        raise RuntimeError(f"the backend did not restart alone: restarted {crashing}")
    record_break(ws, crashing[0], at)


def restarts(ws: Workspace) -> dict[str, int]:
    """Each service's container's restart count, as the engine counts it."""
    return {
        service: int(ws.inspect(row["Name"]).get("RestartCount", 0))
        for service, row in ws.containers().items()
    }


def stays_up(ws: Workspace) -> Condition:
    said = "the backend stays up (no restart over 6 s)"
    first = restarts(ws).get("backend", 0)
    again = poll(lambda: restarts(ws).get("backend", 0) > first, within=6, every=1)
    row = ws.containers().get("backend", {})
    if not again and row.get("State") == "running":
        return passed("restarts", said)
    return failed(
        "restarts",
        said,
        f"it is {row.get('Status', 'not there')}: its logs say why it stops"
        " (docker compose logs --tail 50 backend)",
    )


def check(ws: Workspace) -> list[Condition]:
    return [stays_up(ws), *incident_conditions(ws, INCIDENT, api_answers(ws, API))]
