"""Run Debian's wrk against one URL and read its requests/second and latency percentiles."""

import re
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
LATENCY = re.compile(r"^\s*(50|75|90|99)%\s+([0-9.]+)(us|ms|s|m)\s*$", re.M)
RPS = re.compile(r"Requests/sec:\s+([0-9.]+)")
ERRORS = re.compile(r"Non-2xx or 3xx responses:\s+([0-9]+)")
SOCKET_ERRORS = re.compile(r"Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)")
MIX_COUNTS = re.compile(r"^mix-counts (.*)$", re.M)


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    counts: dict[str, int] = field(default_factory=dict)  # bench/mix.lua's per-status and page-cache counts

    def as_dict(self) -> dict:
        data = asdict(self)
        if not self.counts:
            del data["counts"]
        return data


def measure(
    url: str,
    *,
    seconds: int,
    connections: int = 16,
    threads: int = 2,
    script: Path | None = None,
    script_args: Sequence[str] = (),
) -> Result:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    latency = {int(p): float(v) * UNITS[u] for p, v, u in LATENCY.findall(output)}
    errors = sum(int(n) for n in ERRORS.findall(output))
    socket_errors = SOCKET_ERRORS.search(output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    counts = {}
    mix = MIX_COUNTS.search(output)
    if mix:
        counts = {name: int(n) for name, n in (pair.split("=") for pair in mix.group(1).split())}
    return Result(float(RPS.search(output).group(1)), latency[50], latency[99], errors, counts)
