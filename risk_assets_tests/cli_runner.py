"""Running `risk-report` as a user does, in a child process, and watching what it leaves behind (the `cli_env`
fixture, an environment of its own for each test, is in conftest.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil

from risk_assets.settings import PROJECT_DIR


def postgres_processes_using(folder: Path) -> list[int]:
    """PIDs of postgres processes whose command line names `folder`."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "postgres" in cmdline and str(folder) in cmdline:
            found.append(process.info["pid"])
    return found


def risk_report(*args: str, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "risk_assets.cli.main", *args],
        env=env, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_DIR,
    )


def read_until(process: subprocess.Popen, marker: str, timeout: float = 180) -> str:
    """stdout up to and including the first line containing `marker`."""
    assert process.stdout is not None, "start the command with stdout=subprocess.PIPE"
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        assert line, "the command ended before printing " + repr(marker) + ":\n" + "".join(seen)
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"no {marker!r} in {timeout} s:\n" + "".join(seen))

