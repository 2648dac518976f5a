"""The Dagster webserver and daemon a command launches through: the operator's own (`risk-report ui`,
RISK_DAGSTER_URL) or, when none runs on this instance, a headless `dagster dev` for the command's duration."""

from __future__ import annotations

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
from risk_assets.cli.guard import STOP_GRACE_SECONDS, running, stop_with_parent
from risk_assets.cli.runtime import dagster_home
from risk_assets.errors import UserError
from risk_assets.settings import PROJECT_DIR, Settings

LOAD_TIMEOUT = 300
HEARTBEAT_FRESH_SECONDS = 60
STATE_FILE = "risk-report-dagster.json"  # the `dagster dev` our last command started: guard pid, owner, when stopped


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _state(home: Path) -> dict:
    state_file = home / STATE_FILE
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    return {**state, "owner": state.get("owner", state.get("pid"))}  # written before the guard: no owner


def _record(home: Path, guard: int, stopped: float | None) -> None:
    (home / STATE_FILE).write_text(json.dumps({"pid": guard, "owner": os.getpid(), "stopped": stopped}))


def _take_over(home: Path, state: dict, progress) -> None:
    """A guard whose command was killed is stopping its `dagster dev` (risk_assets/cli/guard.py): wait for it, and
    kill its process group if it does not end in time."""
    guard = state["pid"]
    progress(f"waiting for the Dagster processes of a killed risk-report command (guard pid {guard}) to stop")
    deadline = time.monotonic() + STOP_GRACE_SECONDS + 10
    while running(guard) and time.monotonic() < deadline:
        time.sleep(0.2)
    if running(guard):
        os.killpg(guard, signal.SIGKILL)  # the guard leads its own session: the group is its tree
    (home / STATE_FILE).write_text(json.dumps({**state, "stopped": time.time()}))


def daemon_running(home: Path) -> bool:
    """Whether another Dagster daemon serves this instance: one of another risk-report command that is still running
    (run, ui, ...), or one that has sent a heartbeat within the last minute and after the `dagster dev` of our last
    command stopped (a daemon of `dagster dev` started by hand). A heartbeat of a stopped daemon is not one."""
    from dagster import DagsterInstance

    state = _state(home)
    if state.get("stopped") is None and state.get("owner") and running(state["owner"]):
        return True
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
def dagster_dev(home: Path, port: int, output, progress) -> Iterator[subprocess.Popen]:
    """`dagster dev` on the instance `home` for the duration of a block, through the guard, so that no process of it
    outlives this command, even when it is killed (risk_assets/cli/guard.py). Every command that starts Dagster
    starts it here. The state file records it, so that the next command knows whether it still runs."""
    state = _state(home)
    if state.get("stopped") is None and state.get("pid") and not running(state["owner"]) and running(state["pid"]):
        _take_over(home, state, progress)
    if daemon_running(home):
        raise UserError(f"a Dagster daemon is already running on the instance {home} (another risk-report command, or "
                        "`risk-report ui`); launch through it: export RISK_DAGSTER_URL=http://127.0.0.1:3000 (its "
                        "address), or stop it first")
    process = subprocess.Popen(
        [sys.executable, "-m", "risk_assets.cli.guard", str(os.getpid()), "--",
         str(Path(sys.executable).parent / "dagster"), "dev", "-w", str(PROJECT_DIR / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_DIR, stdout=output, stderr=subprocess.STDOUT if output else None, start_new_session=True,
        env={**os.environ, "DAGSTER_HOME": str(home)}, preexec_fn=stop_with_parent)
    _record(home, process.pid, None)
    try:
        yield process
    finally:
        _stop(process)
        _record(home, process.pid, time.time())


@contextmanager
def dagster_service(settings: Settings, progress) -> Iterator[Webserver]:
    home = dagster_home(settings)
    if os.environ.get("RISK_DAGSTER_URL"):
        server = Webserver(os.environ["RISK_DAGSTER_URL"].rstrip("/"))
        wait_until_loaded(server, 30)
        yield server
        return
    port = _free_port()
    log = home / "logs" / "risk-report-dagster.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out, dagster_dev(home, port, out, progress):
        progress(f"starting Dagster (webserver + daemon) on http://127.0.0.1:{port}, instance {home}; log {log}")
        server = Webserver(f"http://127.0.0.1:{port}")
        wait_until_loaded(server, LOAD_TIMEOUT, log)
        yield server


def _stop(guard: subprocess.Popen) -> None:
    """The guard stops the tree: SIGTERM, then SIGKILL what is left after STOP_GRACE_SECONDS."""
    guard.send_signal(signal.SIGTERM)
    try:
        guard.wait(timeout=STOP_GRACE_SECONDS + 20)
    except subprocess.TimeoutExpired:
        os.killpg(guard.pid, signal.SIGKILL)
        guard.wait(timeout=30)
