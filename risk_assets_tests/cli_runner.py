"""Running `risk-report` as a user does, in a child process, and watching what it leaves behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from risk_assets.settings import PROJECT_DIR
from risk_assets_tests.conftest import traversable_tmp_dir


def postgres_processes_using(folder: Path) -> list[int]:
    """PIDs of postgres processes whose command line names `folder`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "postgres" in cmdline and str(folder) in cmdline:
            pids.append(int(entry.name))
    return pids


def risk_report(*args: str, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "risk_assets.cli.main", *args],
        env=env, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_DIR,
    )


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    data = traversable_tmp_dir("risk-test-cli-")
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATABASE_URL", "RISK_DATABASE_URL")}
    env.update({"RISK_DATA_DIR": str(data), "DAGSTER_HOME": str(tmp_path / "dagster_home"),
                "RISK_REPORTS_DIR": str(tmp_path / "reports"), "RISK_OUTBOX_DIR": str(tmp_path / "outbox")})
    yield env
    subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "db", "stop"], env=env, capture_output=True)
    shutil.rmtree(data, ignore_errors=True)


def read_until(process: subprocess.Popen, marker: str, timeout: float = 180) -> str:
    """stdout up to and including the first line containing `marker`."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        assert line, "the command ended before printing " + repr(marker) + ":\n" + "".join(seen)
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"no {marker!r} in {timeout} s:\n" + "".join(seen))

