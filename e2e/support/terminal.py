"""A command run in a terminal of its own, with lines typed into it, as a person types at a
prompt: for the course's interactive commands (`docker exec -it ... bash`, `make run` and
its Ctrl-C), which refuse to run, or behave otherwise, without a terminal."""

import fcntl
import os
import pty
import select
import signal
import subprocess
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CTRL_C = "\x03"


@dataclass
class Typed:
    output: str
    status: int | None  # None: still running when the test gave up on it (then killed)


def _own_terminal() -> None:
    """In the child: a session of its own, with the pseudo-terminal as its controlling
    terminal, so that a typed Ctrl-C reaches it as SIGINT, as at a real prompt."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def in_terminal(
    command: str,
    *,
    cwd: Path,
    env: dict[str, str],
    keystrokes: list[str] = [],  # noqa: B006 (never mutated)
    when: Callable[[str], bool] = lambda output: True,
    within: float = 60,
) -> Typed:
    """Runs `command` through bash on a new pseudo-terminal; once `when(output so far)`
    holds, types each of `keystrokes` (a line each, Enter added; CTRL_C as it is), then
    reads until the command ends, at most `within` seconds in all."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        ["bash", "-c", command],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=cwd,
        env=env,
        preexec_fn=_own_terminal,
    )
    os.close(terminal)
    deadline = time.monotonic() + within
    output, pending = b"", list(keystrokes)
    try:
        while time.monotonic() < deadline:
            if pending and when(output.decode(errors="replace")):
                key = pending.pop(0)
                os.write(controller, (key if key == CTRL_C else key + "\n").encode())
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the terminal closed: every process on it has ended
                    chunk = b""
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None and not pending:
                break
        status = process.wait(timeout=max(deadline - time.monotonic(), 1))
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        status = None
    finally:
        os.close(controller)
    return Typed(output.decode(errors="replace").replace("\r\n", "\n"), status)
