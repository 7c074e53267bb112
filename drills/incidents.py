"""What every incident drill (drills/operations/) needs: the project's whole stack with its
monitoring, in a workspace of its own (its compose project, its ports, its image names),
the page asked of the real Prometheus and Alertmanager, and the checks every incident
ends with: the page came, service is back, the alert resolved, nothing saved was lost, and
the two root-cause questions answered in the workspace's answers.toml.

The drill's Prometheus scrapes and evaluates every 2 s, and holds each alert a sixth of its
rule's `for:` (10 s for a minute; its rules are otherwise the project's): a page comes
seconds after the break, not minutes, and the alerts keep their order (a slow burn, held an
hour in production, still takes ten minutes). Python's standard library only.
"""

import json
import re
import time
import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workspace import Condition, Workspace, failed, http, not_checked, passed, poll

# This machine's ports for an incident drill's stack: never those of your own stack (8000,
# 80, 9090, 9093), nor the Docker module's drills' (18000, 18080).
PORTS = {
    "BACKEND_PORT": 28000,
    "FRONTEND_PORT": 28080,
    "PROMETHEUS_PORT": 29090,
    "ALERTMANAGER_PORT": 29093,
}
API = f"http://127.0.0.1:{PORTS['BACKEND_PORT']}"
PROMETHEUS = f"http://127.0.0.1:{PORTS['PROMETHEUS_PORT']}"
ALERTMANAGER = f"http://127.0.0.1:{PORTS['ALERTMANAGER_PORT']}"
# Every service of the monitoring profile but Grafana: Prometheus's Alerts tab and
# Alertmanager are the pager here, and Grafana's image is the profile's largest.
SERVICES = (
    "db",
    "backend",
    "frontend",
    "prometheus",
    "alertmanager",
    "postgres-exporter",
    "volume-exporter",
    "nginx-exporter",
)
# Prometheus's jobs (monitoring/prometheus/prometheus.yml): each must be up before the break.
JOBS = {"backend", "nginx", "postgres", "postgres-volume", "alertmanager", "prometheus"}
INTERVAL = "2s"
# Each rule's `for:` is divided by this (monitoring/prometheus/rules/).
FOR_DIVIDED_BY = 6
SECONDS = {"s": 1, "m": 60, "h": 3600}
# The answers a drill's cause is chosen from (answers.toml): the same list in every drill.
CAUSES = (
    "stopped",
    "crashed",
    "a setting it refuses",
    "out of memory",
    "a stray file on its volume",
    "its data grew",
    "connections exhausted",
    "slow queries",
)
ANSWERS = "answers.toml"
# What the set-up saw of the break, for make check and the tests (not yours to edit).
RECORD = ".incident.json"
MARKER = "Written before the incident"


@dataclass(frozen=True)
class Incident:
    """A drill's page and its answers: `alert` must fire (and only it, or what `also` lists:
    the consequences its runbook names); `cause` is one of CAUSES."""

    alert: str
    cause: str
    also: tuple[str, ...] = ()


def shorten_intervals(config: Path, interval: str) -> None:
    """In a copy of prometheus.yml: scrapes, evaluations and service discovery (15 s in the
    project's) every `interval`, such as "2s"; scrapes time out within it."""
    text = re.sub(
        r"(scrape_interval|evaluation_interval|refresh_interval): 15s",
        rf"\1: {interval}",
        config.read_text(),
    )
    config.write_text(text.replace("global:\n", f"global:\n  scrape_timeout: {interval}\n", 1))


def compress_alert_timing(monitoring: Path) -> None:
    """In a copy of monitoring/: every interval INTERVAL, and every rule's `for:` divided
    by FOR_DIVIDED_BY."""
    shorten_intervals(monitoring / "prometheus" / "prometheus.yml", INTERVAL)
    for rules in (monitoring / "prometheus" / "rules").glob("*.yml"):
        rules.write_text(re.sub(r"for: (\d+)([smh])\b", _divided, rules.read_text()))


def _divided(duration: re.Match[str]) -> str:
    seconds = int(duration.group(1)) * SECONDS[duration.group(2)]
    return f"for: {seconds // FOR_DIVIDED_BY}s"


# ---- Setting it up ----------------------------------------------------------------------


def start_stack(
    ws: Workspace, *, files: Path | None = None, compose_files: tuple[str, ...] = ()
) -> None:
    """The workspace (the project's compose file, code and monitoring config, then the
    drill's own `files`), its .env, and the stack up and healthy, every Prometheus target
    up, no alert firing; a task saved, to find after the incident. `compose_files`: the
    drill's own, read after the project's."""
    ws.create(("docker-compose.yml", "backend", "frontend", "monitoring"))
    if files:
        ws.put(files)
    compress_alert_timing(ws.path / "monitoring")
    settings = {
        **{name: str(port) for name, port in PORTS.items()},
        # Images named after the drill: make drill-reset removes them, and your own
        # tasks-backend:dev is never replaced.
        "BACKEND_IMAGE": f"{ws.project}-backend",
        "FRONTEND_IMAGE": f"{ws.project}-frontend",
    }
    if compose_files:
        settings["COMPOSE_FILE"] = ":".join(("docker-compose.yml", *compose_files))
    ws.write(
        ".env",
        "# This drill's stack: ports and image names of its own, never your stack's.\n"
        + "".join(f"{name}={value}\n" for name, value in settings.items()),
    )
    ws.write(ANSWERS, _answers_template())
    up = ws.compose(
        "--profile", "monitoring", "up", "--detach", "--build", "--wait",
        "--wait-timeout", "180", *SERVICES, timeout=900,
    )  # fmt: skip
    if up.returncode != 0:
        raise RuntimeError(f"the drill's stack did not start:\n{up.stderr[-2000:]}")
    # Pending is allowed: on a fresh volume, PostgreSQL's first writes make
    # PostgresVolumeFillingUp's 6-hour trend point down for a while, and its `for:` is long.
    if not poll(
        lambda: _targets_up() and "firing" not in firing_or_pending().values(), within=90, every=1
    ):
        raise RuntimeError(
            f"Prometheus did not see a quiet stack: targets {_targets()}, "
            f"alerts {firing_or_pending()}"
        )
    saved = http(f"{API}/api/tasks", method="POST", body={"title": MARKER})
    if saved.status != 201:
        raise RuntimeError(f"saving a task answered {saved.status}: {saved.body[:200]}")
    ws.write(RECORD, json.dumps({"task": saved.json()["id"]}))
    print(STACK)


STACK = f"""Your workspace runs the whole task list with its monitoring, as its compose project:
  the API      {API}/api/tasks
  the app      http://127.0.0.1:{PORTS["FRONTEND_PORT"]}
  Prometheus   {PROMETHEUS}/alerts
  Alertmanager {ALERTMANAGER}   (the pager)
cd into it: docker compose ... works there as in the runbooks (docs/runbooks.md). Answer
the two root-cause questions in its {ANSWERS}. Its Prometheus evaluates every {INTERVAL}
and holds each alert a sixth of its rule's `for:`: a page comes in seconds, not minutes."""


def record_break(ws: Workspace, service: str, at: float) -> None:
    """When the break began (`at`, seconds since the epoch), and the service the stack
    shows broken: the right answer to the first question, from what the engine says."""
    record = json.loads(ws.read(RECORD))
    record.update(broken_at=at, service=service)
    ws.write(RECORD, json.dumps(record))


def record(ws: Workspace) -> dict[str, Any]:
    return dict(json.loads(ws.read(RECORD)))


def _answers_template() -> str:
    causes = ", ".join(f'"{cause}"' for cause in CAUSES)
    return (
        "# The incident's two root-cause questions: answer them here, then make check (from\n"
        "# the project's folder).\n\n"
        "# 1. Which service of this stack failed? Its name in docker-compose.yml.\n"
        'service = ""\n\n'
        f"# 2. What was wrong with it? One of: {causes}.\n"
        'cause = ""\n'
    )


# ---- Asking Prometheus and Alertmanager ---------------------------------------------------


def prometheus(path: str, **params: str) -> Any:
    """The `data` of a Prometheus API answer; None when it does not answer."""
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    answer = http(f"{PROMETHEUS}/api/v1/{path}{query}")
    return answer.json()["data"] if answer.status == 200 else None


def _targets() -> dict[str, str]:
    samples = prometheus("query", query="up") or {"result": []}
    return {row["metric"]["job"]: row["value"][1] for row in samples["result"]}


def _targets_up() -> bool:
    targets = _targets()
    return set(targets) == JOBS and set(targets.values()) == {"1"}


def firing_or_pending() -> dict[str, str]:
    """Prometheus's alerts now: name -> "firing" or "pending"."""
    alerts = (prometheus("alerts") or {"alerts": []})["alerts"]
    return {alert["labels"]["alertname"]: alert["state"] for alert in alerts}


def at_alertmanager() -> set[str] | None:
    """The alerts Alertmanager holds active (what pages); None when it does not answer."""
    answer = http(f"{ALERTMANAGER}/api/v2/alerts")
    if answer.status != 200:
        return None
    return {alert["labels"]["alertname"] for alert in answer.json()}


def fired_since(since: float, selector: str) -> set[str]:
    """The alerts Prometheus's ALERTS says were firing at any moment since `since` (seconds
    since the epoch, this machine's clock), among those `selector` picks (PromQL label
    matchers, such as 'severity="critical"'). Nothing from before: a stack's start-up has
    its own alerts (BackendDown, until Prometheus first reaches the backend)."""
    seconds = max(1, int(time.time() - since))
    query = f'max_over_time(ALERTS{{alertstate="firing", {selector}}}[{seconds}s])'
    data = prometheus("query", query=query) or {"result": []}
    return {row["metric"]["alertname"] for row in data["result"]}


# ---- The checks ---------------------------------------------------------------------------


def incident_conditions(ws: Workspace, incident: Incident, restored: Condition) -> list[Condition]:
    """What every incident drill checks, with the drill's own `restored` condition."""
    broke = record(ws)
    return [
        page_came(incident, broke["broken_at"]),
        restored,
        nothing_lost(broke["task"]),
        alert_resolved(incident),
        *root_cause(ws, incident, broke["service"]),
    ]


def page_came(incident: Incident, since: float) -> Condition:
    said = f"the page came: {incident.alert} fired"
    if fired_since(since, f'alertname="{incident.alert}"'):
        return passed("page", said)
    state = firing_or_pending().get(incident.alert)
    if state == "pending":
        return failed(
            "page", said, f"{incident.alert} is pending: it fires once its `for:` is over"
        )
    return failed(
        "page",
        said,
        f"{incident.alert} has not fired since the break: Prometheus ({PROMETHEUS}/alerts) "
        "shows what it sees; was the stack repaired before the page came?",
    )


def alert_resolved(incident: Incident) -> Condition:
    said = f"{incident.alert} resolved, at Prometheus and at Alertmanager"
    state = firing_or_pending().get(incident.alert)
    if state:
        return failed(
            "resolved", said, f"{incident.alert} is {state} at Prometheus: the cause is still there"
        )
    active = at_alertmanager()
    if active is None:
        return not_checked("resolved", said, f"Alertmanager does not answer on {ALERTMANAGER}")
    if incident.alert in active:
        return failed(
            "resolved",
            said,
            f"Alertmanager still holds {incident.alert}: Prometheus sends the resolution at "
            f"its next evaluation ({INTERVAL}); make check again in a moment",
        )
    return passed("resolved", said)


def save_works() -> Condition:
    said = "a save works: POST /api/tasks adds a task"
    answer = http(f"{API}/api/tasks", method="POST", body={"title": "After the incident"})
    if answer.status != 201:
        return failed("save", said, f"it answers {answer.status}: {answer.body[:200]}")
    http(f"{API}/api/tasks/{answer.json()['id']}", method="DELETE")
    return passed("save", said)


def nothing_lost(task: object) -> Condition:
    said = "nothing saved before the incident was lost"
    answer = http(f"{API}/api/tasks/{task}")
    if answer.status == 200:
        return passed("data", said)
    if answer.status == 404:
        return failed(
            "data",
            said,
            f'the task "{MARKER}", saved before the break, is gone: was the database\'s '
            "volume removed (docker compose down --volumes)?",
        )
    why = f"answers {answer.status}" if answer.status else "does not answer"
    return not_checked("data", said, f"the API {why}")


def root_cause(ws: Workspace, incident: Incident, service: str) -> list[Condition]:
    which, why = "root cause: which service", "root cause: which cause"
    try:
        given = tomllib.loads(ws.read(ANSWERS))
    except (OSError, tomllib.TOMLDecodeError) as error:
        reason = f"{ws.path / ANSWERS} cannot be read: {error}"
        return [failed("service", which, reason), failed("cause", why, reason)]
    answers = [str(given.get("service", "")).strip(), str(given.get("cause", "")).strip()]
    conditions = []
    for id, said, answer, right in (
        ("service", which, answers[0], service),
        ("cause", why, answers[1], incident.cause),
    ):
        if not answer:
            conditions.append(failed(id, said, f"not answered yet: {id} in {ws.path / ANSWERS}"))
        elif id == "cause" and answer not in CAUSES:
            conditions.append(failed(id, said, f'"{answer}" is none of the causes listed there'))
        elif answer != right:
            conditions.append(
                failed(id, said, f'not "{answer}": the runbook\'s checks show where it is')
            )
        else:
            conditions.append(passed(id, f"{said}: {answer}"))
    return conditions
