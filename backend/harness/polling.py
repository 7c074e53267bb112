"""Waiting for something to happen, with a deadline: the tests never sleep blindly."""

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
import httpx

T = TypeVar("T")


class Deadline:
    """`within` seconds from now; says what was awaited when it passes."""

    def __init__(self, within: float, what: str) -> None:
        self.within = within
        self.what = what
        self._end = time.monotonic() + within

    def check(self, last: object = None) -> None:
        if time.monotonic() > self._end:
            detail = f" (last: {last})" if last is not None else ""
            raise AssertionError(f"{self.what}: not within {self.within} s{detail}")


def poll(
    check: Callable[[], T | None],
    *,
    within: float,
    what: str,
    every: float = 0.1,
    last: Callable[[], object] = lambda: None,
) -> T:
    """Call `check` until it returns something other than None, and return that. When the
    deadline passes, the failure says what `last()` returns (what was seen last)."""
    deadline = Deadline(within, what)
    while True:
        result = check()
        if result is not None:
            return result
        deadline.check(last())
        time.sleep(every)


async def apoll(
    check: Callable[[], Awaitable[T | None]], *, within: float, what: str, every: float = 0.05
) -> T:
    """The same as poll(), for checks that are coroutines."""
    deadline = Deadline(within, what)
    while True:
        result = await check()
        if result is not None:
            return result
        deadline.check()
        await anyio.sleep(every)


def wait_for_http(
    url: str,
    *,
    status: int = 200,
    within: float = 30.0,
    until: Callable[[httpx.Response], bool] = lambda response: True,
) -> httpx.Response:
    """Poll GET `url` until it answers `status` (and `until` holds); return that response.
    A failure says what the last attempt got: a status and body, or a transport error."""
    seen: list[str] = []

    def attempt() -> httpx.Response | None:
        try:
            response = httpx.get(url, timeout=5)
        except httpx.TransportError as error:
            seen[:] = [repr(error)]
            return None
        seen[:] = [f"{response.status_code} {response.text[:200]}"]
        return response if response.status_code == status and until(response) else None

    return poll(
        attempt,
        within=within,
        what=f"GET {url} answering {status}",
        last=lambda: seen[0] if seen else None,
    )
