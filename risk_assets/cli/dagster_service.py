"""The Dagster webserver and daemon a command launches through: the operator's own (`risk-report ui`,
RISK_DAGSTER_URL) or, when none runs on this instance, a headless `dagster dev` for the command's duration."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from risk_assets.cli.graphql import Webserver
from risk_assets.cli.runtime import dagster_home
from risk_assets.errors import UserError
from risk_assets.settings import PROJECT_DIR, Settings

LOAD_TIMEOUT = 300
HEARTBEAT_FRESH_SECONDS = 60
PID_FILE = "risk-report-dagster.pid"  # the `dagster dev` a command started, while it runs


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def daemon_running(home: Path) -> bool:
    """Whether another Dagster daemon serves this instance: a heartbeat within the last minute that is not the
    leftover of a command of ours that was killed (its pid file names a process that is gone)."""
    from dagster import DagsterInstance

    pid_file = home / PID_FILE
    if pid_file.exists():
        if _alive(int(pid_file.read_text() or 0)):
            return True
        pid_file.unlink()
        return False
    with DagsterInstance.from_config(str(home)) as instance:
        beats = instance.get_daemon_heartbeats().values()
        return any(time.time() - beat.timestamp < HEARTBEAT_FRESH_SECONDS for beat in beats)


def wait_until_loaded(server: Webserver, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, error = server.location_status()
        except UserError:
            status, error = "STARTING", None
        if status == "LOADED" and error is None:
            return
        if error:
            raise UserError(f"the code location failed to load: {error.strip().splitlines()[-1]}")
        time.sleep(1)
    where = f"; its log: {log}" if log else ""
    raise UserError(f"the Dagster webserver at {server.url} did not load the code location in {timeout:.0f} s{where}")


@contextmanager
def dagster_service(settings: Settings, progress) -> Iterator[Webserver]:
    home = dagster_home(settings)
    if os.environ.get("RISK_DAGSTER_URL"):
        server = Webserver(os.environ["RISK_DAGSTER_URL"].rstrip("/"))
        wait_until_loaded(server, 30)
        yield server
        return
    if daemon_running(home):
        raise UserError(f"a Dagster daemon is already running on the instance {home} (`risk-report ui`?); launch "
                        "through it: export RISK_DAGSTER_URL=http://127.0.0.1:3000 (its address)")
    port = _free_port()
    log = home / "logs" / "risk-report-dagster.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    progress(f"starting Dagster (webserver + daemon) on http://127.0.0.1:{port}, instance {home}; log {log}")
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster"), "dev", "-w", str(PROJECT_DIR / "workspace.yaml"),
             "-h", "127.0.0.1", "-p", str(port)],
            cwd=PROJECT_DIR, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "DAGSTER_HOME": str(home)})
    (home / PID_FILE).write_text(str(process.pid))
    try:
        server = Webserver(f"http://127.0.0.1:{port}")
        wait_until_loaded(server, LOAD_TIMEOUT, log)
        yield server
    finally:
        _stop(process)
        (home / PID_FILE).unlink(missing_ok=True)


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
