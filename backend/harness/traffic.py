"""Clients of the API while something goes wrong on purpose, and what they saw: for the
fault suite (tests/faults/) and the multi-node Swarm test (e2e/test_swarm_nodes.py).

Writers create tasks, each with an Idempotency-Key, and retry a failed create with the
same key until it is acknowledged (201), as the web app does; readers list tasks and
note which replica answered (X-Served-By, when the backend sends it). Every failed
attempt is kept with its start and end, so a test can tell which requests a fault could
have hit. Afterwards, `lost_or_doubled` compares the acknowledged writes with the rows.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

# A create not acknowledged this long after the clients were told to stop is lost.
SETTLE_SECONDS = 30.0
# Between a failed create and its retry.
RETRY_PAUSE = 0.1


@dataclass(frozen=True)
class FailedRequest:
    """One attempt that got no 2xx: its method, what went wrong (a status code or the
    transport error's name), when it started and ended (time.monotonic()), and the
    request it was an attempt at: a create's Idempotency-Key (its retries share it) and
    when that create's first attempt started; a read is a request of its own."""

    method: str
    problem: str
    started: float
    ended: float
    request: str
    request_started: float


@dataclass
class TrafficLog:
    """What the clients saw. `acknowledged` maps each created title to its task id."""

    acknowledged: dict[str, int] = field(default_factory=dict)
    unacknowledged: list[str] = field(default_factory=list)
    failed: list[FailedRequest] = field(default_factory=list)
    requests: int = 0
    served_by: Counter[str] = field(default_factory=Counter)
    # Seconds from a create's first attempt to its acknowledgement, for those retried.
    retried_for: list[float] = field(default_factory=list)

    @property
    def failures(self) -> Counter[str]:
        """Failed attempts by kind, such as "POST 503" or "GET ReadTimeout"."""
        return Counter(f"{failed.method} {failed.problem}" for failed in self.failed)

    @property
    def failed_requests(self) -> set[str]:
        """The requests that failed at least once (a create retried counts once)."""
        return {failed.request for failed in self.failed}

    def figures(self) -> str:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.failures.items()))
        retried = ""
        if self.retried_for:
            retried = f", retried until acknowledged within {max(self.retried_for):.1f} s"
        return (
            f"{self.requests} requests, {len(self.acknowledged)} writes acknowledged, "
            f"{len(self.failed_requests)} requests failed, in {len(self.failed)} attempts "
            f"({kinds or 'none'}){retried}"
        )


def _problem(response: httpx.Response) -> str:
    """The status and, when the body says, who answered it: the API's own 503 ("The
    database is unavailable") is not nginx's ("The API is unavailable")."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return (
        f"{response.status_code} ({detail})"
        if isinstance(detail, str)
        else str(response.status_code)
    )


async def _write(
    client: httpx.AsyncClient,
    log: TrafficLog,
    *,
    run: str,
    number: int,
    keep_going: Callable[[], bool],
    pause: float,
) -> None:
    sequence = 0
    while keep_going():
        title, key = f"{run} writer {number} write {sequence}", f"{run}-{number}-{sequence}"
        give_up_at: float | None = None
        first_started, failed_attempts = time.monotonic(), 0
        while True:
            if not keep_going():
                give_up_at = give_up_at or time.monotonic() + SETTLE_SECONDS
                if time.monotonic() > give_up_at:
                    log.unacknowledged.append(title)
                    return
            started = time.monotonic()
            log.requests += 1
            try:
                response = await client.post(
                    "/api/tasks", json={"title": title}, headers={"Idempotency-Key": key}
                )
            except httpx.TransportError as error:
                problem = type(error).__name__
            else:
                if response.status_code == 201:
                    log.acknowledged[title] = response.json()["id"]
                    if failed_attempts:
                        log.retried_for.append(time.monotonic() - first_started)
                    break
                # 409: the same key still in progress; 503: unavailable. Anything else
                # (a 4xx for a valid request, a 500) is a bug, not a fault to ride out.
                assert response.status_code in (409, 503), response.text
                problem = _problem(response)
            log.failed.append(
                FailedRequest("POST", problem, started, time.monotonic(), key, first_started)
            )
            failed_attempts += 1
            await asyncio.sleep(RETRY_PAUSE)
        sequence += 1
        await asyncio.sleep(pause)


async def _read(
    client: httpx.AsyncClient, log: TrafficLog, *, keep_going: Callable[[], bool], pause: float
) -> None:
    while keep_going():
        started = time.monotonic()
        log.requests += 1
        try:
            response = await client.get("/api/tasks", params={"limit": 10})
        except httpx.TransportError as error:
            problem = type(error).__name__
        else:
            if response.status_code == 200:
                log.served_by[response.headers.get("x-served-by", "?")] += 1
                await asyncio.sleep(pause)
                continue
            problem = _problem(response)
        ended = time.monotonic()
        log.failed.append(FailedRequest("GET", problem, started, ended, f"GET {started}", started))
        await asyncio.sleep(pause)


async def drive(
    url: str,
    *,
    run: str,
    writers: int,
    readers: int = 0,
    keep_going: Callable[[], bool],
    pause: float = 0.0,
    log: TrafficLog | None = None,
    request_timeout: float = 5.0,
) -> TrafficLog:
    """`writers` and `readers` clients on `url` while `keep_going()` holds (each checks it
    between requests), each waiting `pause` seconds after a request; writers then finish
    their pending create, retrying for at most SETTLE_SECONDS. Titles start with `run`
    (keys too: it must be a valid Idempotency-Key, without spaces).
    Pass `log` to watch the figures while it runs; a request waits `request_timeout`
    seconds at most."""
    log = log if log is not None else TrafficLog()
    async with httpx.AsyncClient(base_url=url, timeout=request_timeout) as client:
        await asyncio.gather(
            *(
                _write(client, log, run=run, number=n, keep_going=keep_going, pause=pause)
                for n in range(writers)
            ),
            *(_read(client, log, keep_going=keep_going, pause=pause) for _ in range(readers)),
        )
    return log


def lost_or_doubled(log: TrafficLog, rows: Counter[str]) -> dict[str, list[str]]:
    """Given the rows whose titles start with the run's name (title -> how many rows):
    the acknowledged writes missing, the titles stored twice or more, the rows nobody
    was told about, and the writes never acknowledged. All empty when nothing was lost."""
    return {
        "missing": [title for title in log.acknowledged if rows[title] == 0],
        "doubled": [title for title, count in rows.items() if count > 1],
        "unknown": [title for title in rows if title not in log.acknowledged],
        "unacknowledged": list(log.unacknowledged),
    }
