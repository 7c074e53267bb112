"""Load on loopback with wrk, and a process's memory: for the fault suite and the benchmark."""

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# A wrk script that counts the answers by status (WrkRun.statuses).
COUNT_STATUSES = Path(__file__).with_name("wrk_statuses.lua")


@dataclass
class WrkRun:
    """What one wrk run printed."""

    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: str | None  # wrk's "connect 0, read 1, write 0, timeout 0", when any
    # Answers by status ("200", "503", "503 without Retry-After"), when the run's script
    # was COUNT_STATUSES.
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        counts = re.findall(r"\d+", self.socket_errors or "")
        return self.non_2xx + sum(int(count) for count in counts)


def _ms(value: str) -> float:
    """wrk's latency figures (950.00us, 1.20ms, 1.01s, 1.02m) in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"unexpected latency from wrk: {value!r}")
    return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[match[2]]


def _found(pattern: str, output: str) -> str:
    match = re.search(pattern, output, re.MULTILINE)
    if match is None:
        raise AssertionError(f"wrk printed no {pattern!r}:\n{output}")
    return match[1]


def run_wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    threads: int = 1,
    timeout: str = "2s",
    script: Path | None = None,
) -> WrkRun:
    """One wrk run; it stops by itself after `seconds`."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--timeout", timeout, "--latency", *(["-s", str(script)] if script else [])]
    output = subprocess.run(
        [*command, url], check=True, capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return WrkRun(
        requests=int(_found(r"(\d+) requests in", output)),
        rps=float(_found(r"Requests/sec:\s+([\d.]+)", output)),
        p50_ms=_ms(_found(r"^\s+50%\s+(\S+)", output)),
        p99_ms=_ms(_found(r"^\s+99%\s+(\S+)", output)),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=socket_errors[1] if socket_errors else None,
        statuses={
            status: int(count)
            for status, count in re.findall(r"^status (.+): (\d+)$", output, re.MULTILINE)
        },
    )


def rss_mb(pid: int) -> float:
    """The process's resident memory, in MB."""
    return int(_found(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())) / 1024
