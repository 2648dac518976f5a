"""The Dagster webserver and daemon a command launches through: the operator's own (`risk-report ui`,
RISK_DAGSTER_URL) or, when none runs on this instance, a headless `dagster dev` for the command's duration."""

from __future__ import annotations

import ctypes
import json
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
STATE_FILE = "risk-report-dagster.json"  # the `dagster dev` our last command started: pid, when it stopped


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
    """Whether another Dagster daemon serves this instance: one that has sent a heartbeat within the last minute
    and after the daemon of our last command stopped (or, if that command was killed, after now)."""
    from dagster import DagsterInstance

    state_file = home / STATE_FILE
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    if state.get("stopped") is None and state.get("pid") and _alive(state["pid"]):
        return True  # another risk-report command's dagster dev
    ours_until = state.get("stopped") or (time.time() if state else 0.0)
    with DagsterInstance.from_config(str(home)) as instance:
        beats = instance.get_daemon_heartbeats().values()
        return any(beat.timestamp > ours_until and time.time() - beat.timestamp < HEARTBEAT_FRESH_SECONDS
                   for beat in beats)


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
            env={**os.environ, "DAGSTER_HOME": str(home)}, preexec_fn=_stop_with_parent)
    (home / STATE_FILE).write_text(json.dumps({"pid": process.pid, "stopped": None}))
    try:
        server = Webserver(f"http://127.0.0.1:{port}")
        wait_until_loaded(server, LOAD_TIMEOUT, log)
        yield server
    finally:
        _stop(process)
        (home / STATE_FILE).write_text(json.dumps({"pid": process.pid, "stopped": time.time()}))


_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork: nothing to look up in the child


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM when the command dies, even by kill -9 (Linux prctl PR_SET_PDEATHSIG),
    so that no `dagster dev` outlives the command that started it."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
