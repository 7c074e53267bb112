"""The course page's "find the 3 errors" compose file: a port clash, `localhost` as the
database's host, no volume for the database."""

from pathlib import Path

from effects import (
    api_answers,
    app_answers,
    backend_reached_database,
    services_running,
    task_survives_down_up,
)
from workspace import Condition, Workspace, not_checked

SERVICES = ("db", "backend", "frontend")


# For make test (e2e/test_drills.py): the condition make check fails after the set-up and
# your first move, and words of its message.
BROKEN = ("running", "already holds")


def setup(ws: Workspace) -> None:
    ws.create(("backend", "frontend"))
    ws.put(Path(__file__).parent / "files")
    ws.base_image_override()


def check(ws: Workspace) -> list[Condition]:
    running = services_running(ws, SERVICES)
    if not running.ok:
        return [
            running,
            *(
                not_checked(id, said, "nothing to ask: not running")
                for id, said in (
                    ("api", "the API answers"),
                    ("app", "the app answers"),
                    ("database", "the backend reached its database"),
                    ("persistence", "a task survives docker compose down / up"),
                )
            ),
        ]
    conditions = [running, backend_reached_database(ws), api_answers(ws), app_answers(ws)]
    if all(condition.ok for condition in conditions):
        conditions.append(task_survives_down_up(ws))
    else:
        conditions.append(
            not_checked("persistence", "a task survives docker compose down / up", "the rest first")
        )
    return conditions
