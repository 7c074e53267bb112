"""DatabaseUnavailable: PostgreSQL stopped under the running stack."""

import time

from effects import api_answers
from incidents import API, Incident, incident_conditions, record_break, start_stack
from workspace import Condition, Workspace, failed, http, passed, poll

# Requests that fail meanwhile (503) burn the availability budget: its fast burn may page
# too, the symptom beside the cause (docs/runbooks.md, "Before you start").
INCIDENT = Incident(alert="DatabaseUnavailable", cause="stopped", also=("ApiAvailabilityFastBurn",))
# For make test (e2e/test_incident_drills.py): the condition make check fails once the
# page came, and words of its message.
BROKEN = ("resolved", "DatabaseUnavailable is firing")


def setup(ws: Workspace) -> None:
    start_stack(ws)
    at = time.time()
    ws.compose("stop", "db", timeout=120)
    stopped = [service for service, row in ws.containers().items() if row["State"] == "exited"]
    if stopped != ["db"]:
        raise RuntimeError(f"the database did not stop alone: exited {stopped}")
    record_break(ws, stopped[0], at)


def storage_ready() -> Condition:
    said = 'the backend is ready on PostgreSQL again (/api/health/ready: "postgresql")'
    ready = poll(
        lambda: (lambda a: a if a.status == 200 else None)(http(f"{API}/api/health/ready")),
        within=10,
    )
    if ready and ready.json().get("storage") == "postgresql":
        return passed("ready", said)
    answer = http(f"{API}/api/health/ready")
    return failed("ready", said, f"it answers {answer.status}: {answer.body[:200]}")


def check(ws: Workspace) -> list[Condition]:
    return [storage_ready(), *incident_conditions(ws, INCIDENT, api_answers(ws, API))]
