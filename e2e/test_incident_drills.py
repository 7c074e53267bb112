"""Every incident drill (drills/operations/) on the real engine, through the verbs a learner
uses: `make drill NAME=...` starts the drill's stack with its monitoring and breaks it;
its page fires at the real Prometheus and reaches Alertmanager (the alert's name and the
seconds from the break printed); `make check` fails on it and refuses wrong root-cause
answers; the runbook's fix (solve.py) and the right answers; the alert resolves (the
seconds from the fix printed); `make check` passes; `make drill-reset` leaves nothing.

No page (a critical alert) fires but the drill's own and the consequences it names
(`Incident.also`), and none of those before its own. Warnings (tickets) are printed.
The drills' Prometheus holds each alert a sixth of its rule's `for:` (drills/incidents.py)."""

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from incidents import (
    CAUSES,
    SERVICES,
    Incident,
    at_alertmanager,
    fired_since,
    prometheus,
    record,
)
from workspace import Workspace, poll

from support.drill_verbs import checked, drill, drill_folders, load
from support.runbooks import sections

# The longest `for:` a drill's page waits (PostgresVolumeAlmostFull: 5 minutes / 6), and
# a few scrapes and evaluations (2 s each) besides.
FIRES_WITHIN = 50 + 30
RESOLVES_WITHIN = 60


class AlertWatch:
    """Prometheus's alerts, asked every half second in a thread of its own: when each was
    first seen firing (seconds since the epoch), and its severity."""

    def __init__(self) -> None:
        self.first_firing: dict[str, float] = {}
        self.severity: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for alert in (prometheus("alerts") or {"alerts": []})["alerts"]:
                name = alert["labels"]["alertname"]
                self.severity[name] = alert["labels"].get("severity", "")
                if alert["state"] == "firing":
                    self.first_firing.setdefault(name, time.time())

    @contextmanager
    def running(self) -> Iterator["AlertWatch"]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()

    def firing(self, alert: str) -> bool:
        return alert in self.first_firing


def wrong(answer: str, choices: tuple[str, ...]) -> str:
    return next(choice for choice in choices if choice != answer)


INCIDENT_DRILLS = drill_folders("operations")


@pytest.mark.parametrize("folder", INCIDENT_DRILLS, ids=lambda folder: folder.name)
def test_the_brief_keeps_the_cause_and_the_hints_lead_to_the_runbook(folder: Path) -> None:
    """The brief says what users and the pager see, never the cause; the hints go to the
    alert's section of the runbooks, which exists."""
    incident: Incident = load(folder / "drill.py").INCIDENT
    brief = (folder / "brief.md").read_text()
    hints = (folder / "hints.md").read_text()
    assert incident.cause in CAUSES
    assert incident.cause not in brief
    assert incident.alert not in brief
    assert incident.alert in sections()
    assert f"docs/runbooks.md#{incident.alert.lower()}" in hints


@pytest.mark.stack
@pytest.mark.parametrize("folder", INCIDENT_DRILLS, ids=lambda folder: folder.name)
def test_the_incident_pages_and_its_runbook_fix_resolves_it(folder: Path, drills_dir: Path) -> None:
    name = folder.name
    env = {**os.environ, "DRILLS_DIR": str(drills_dir)}
    workspace = Workspace(name, home=drills_dir)
    assert workspace.leftovers() == [], f"the engine holds {name}'s things before it starts"
    definition = load(folder / "drill.py")
    incident: Incident = definition.INCIDENT
    started = time.monotonic()
    try:
        setup = drill("start", name, env=env)
        assert setup.returncode == 0, setup.stdout + setup.stderr
        broke = record(workspace)
        print(f"\n{name}: set up and broken in {time.monotonic() - started:.0f} s")

        with AlertWatch().running() as watch:
            poll(lambda: watch.firing(incident.alert), within=FIRES_WITHIN, every=0.5)
            assert watch.firing(incident.alert), f"{incident.alert} did not fire: {watch.severity}"
            fired = watch.first_firing[incident.alert] - broke["broken_at"]
            print(f"{incident.alert} firing {fired:.1f} s after the break")
            paged = poll(lambda: incident.alert in (at_alertmanager() or set()), within=30)
            assert paged, f"{incident.alert} never reached Alertmanager"

            before = checked(env)
            failing, words = definition.BROKEN
            assert before[failing]["ok"] is False, before
            assert words in str(before[failing]["message"]), before[failing]
            workspace.write(
                "answers.toml",
                f'service = "{wrong(broke["service"], SERVICES)}"\n'
                f'cause = "{wrong(incident.cause, CAUSES)}"\n',
            )
            refused = checked(env)
            assert refused["service"]["ok"] is False, refused["service"]
            assert refused["cause"]["ok"] is False, refused["cause"]

            fixed = time.time()
            load(folder / "solve.py").solve(workspace)
            workspace.write(
                "answers.toml", f'service = "{broke["service"]}"\ncause = "{incident.cause}"\n'
            )

            def resolved() -> bool:
                firing = prometheus("alerts") or {"alerts": []}
                names = {alert["labels"]["alertname"] for alert in firing["alerts"]}
                held = at_alertmanager()
                return held is not None and incident.alert not in names | held

            assert poll(resolved, within=RESOLVES_WITHIN, every=0.5), f"{incident.alert} stayed"
            print(f"{incident.alert} resolved {time.time() - fixed:.1f} s after the fix began")
            after = checked(env)
            assert all(condition["ok"] for condition in after.values()), after
            assert name in drill("progress", env=env).stdout

        expected = {incident.alert, *incident.also}
        # The watch, and what it could have missed (between the break and its start).
        pages = fired_since(broke["broken_at"], 'severity="critical"') | {
            alert for alert, severity in watch.severity.items()
            if severity == "critical" and watch.firing(alert)
        }  # fmt: skip
        tickets = {
            alert: round(at - broke["broken_at"], 1)
            for alert, at in watch.first_firing.items()
            if watch.severity[alert] != "critical"
        }
        print(f"pages: {sorted(pages)}; tickets (not asserted): {tickets or 'none'}")
        assert pages <= expected, f"pages the drill does not expect: {pages - expected}"
        first = watch.first_firing[incident.alert]
        earlier = [page for page in pages if watch.first_firing.get(page, first) < first]
        assert earlier == [], f"paged before {incident.alert}: {earlier}"
    finally:
        reset = drill("reset", name, env=env)
        left = workspace.leftovers()
        print(f"{name}: {time.monotonic() - started:.0f} s in all, reset included")
    assert reset.returncode == 0, reset.stderr
    assert left == [], f"make drill-reset left these behind: {left}"
    assert not workspace.path.exists()
