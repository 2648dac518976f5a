"""The Dagster webserver and daemon a command launches through: the one RISK_DAGSTER_URL names, else the one a
running `risk-report ui` serves on this instance (found through the state file), else a headless webserver and
daemon for the command's duration (risk_assets/cli/dagster_stack.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from risk_assets.cli import graphql
from risk_assets.cli.dagster_stack import free_port
from risk_assets.cli.graphql import Webserver
from risk_assets.cli.guard import STOP_GRACE_SECONDS, running, stop_with_parent
from risk_assets.cli.runtime import dagster_home
from risk_assets.errors import UserError
from risk_assets.settings import PROJECT_DIR, Settings

LOAD_TIMEOUT = 300
HEARTBEAT_FRESH_SECONDS = 60
# A live daemon writes a heartbeat at least this often (Dagster's default interval is 30 s); a heartbeat with no
# newer one after this long belongs to a daemon that has stopped.
HEARTBEAT_INTERVAL_SECONDS = 35
# The Dagster our last command started: guard pid, owner, when stopped, and — for `risk-report ui` — the
# webserver's URL, for the other commands to launch through.
STATE_FILE = "risk-report-dagster.json"
# Beside it, not in $DAGSTER_HOME/logs/: the webserver and daemon move that folder's files to .logs_queue/ and post
# them to Dagster's telemetry server, whatever dagster.yaml says about telemetry (DAGSTER_DISABLE_TELEMETRY stops
# that, and is set for every Dagster process started here). The log names schools; it stays on this machine.
LOG_FILE = "risk-report-dagster.log"


def _state(home: Path) -> dict:
    state_file = home / STATE_FILE
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    return {**state, "owner": state.get("owner", state.get("pid"))}  # written before the guard: no owner


def _record(home: Path, guard: int, stopped: float | None, url: str | None) -> None:
    state = {"pid": guard, "owner": os.getpid(), "stopped": stopped, "url": url}
    (home / STATE_FILE).write_text(json.dumps(state))


def running_ui(home: Path) -> str | None:
    """The webserver URL of a `risk-report ui` that runs on this instance now, else None."""
    state = _state(home)
    live = state.get("stopped") is None and state.get("owner") and running(state["owner"])
    return state.get("url") if live else None


def _take_over(home: Path, state: dict, progress) -> None:
    """A guard whose command was killed is stopping its Dagster processes (risk_assets/cli/guard.py): wait for it, and
    kill its process group if it does not end in time."""
    guard = state["pid"]
    progress(f"waiting for the Dagster processes of a killed risk-report command (guard pid {guard}) to stop")
    deadline = time.monotonic() + STOP_GRACE_SECONDS + 10
    while running(guard) and time.monotonic() < deadline:
        time.sleep(0.2)
    if running(guard):
        os.killpg(guard, signal.SIGKILL)  # the guard leads its own session: the group is its tree
    (home / STATE_FILE).write_text(json.dumps({**state, "stopped": time.time()}))


def daemon_running(home: Path, progress) -> bool:
    """Whether another Dagster daemon serves this instance: one of another risk-report command that is still running
    (run, ui, ...), or one that keeps writing heartbeats after the Dagster of our last command stopped (a
    daemon of `dagster dev` started by hand). The last heartbeat of a daemon that has stopped stays fresh for a
    while: a daemon counts as live only when a newer heartbeat follows it."""
    from dagster import DagsterInstance

    state = _state(home)
    if state.get("stopped") is None and state.get("owner") and running(state["owner"]):
        return True
    # Heartbeats up to when our last command's Dagster stopped are its own (killed without a recorded stop: up to now);
    # without a recorded one (no guard pid), every heartbeat counts.
    ours_until = state.get("stopped") or (time.time() if state.get("pid") else 0.0)
    with DagsterInstance.from_config(str(home)) as instance:
        newest = _newest_heartbeat(instance, ours_until)
        if newest is None:
            return False
        progress(f"a Dagster daemon wrote a heartbeat {time.time() - newest:.0f} s ago: waiting up to "
                 f"{HEARTBEAT_INTERVAL_SECONDS} s for its next one, to tell whether it still runs")
        deadline = newest + HEARTBEAT_INTERVAL_SECONDS
        while time.time() < deadline:
            time.sleep(1)
            if (_newest_heartbeat(instance, newest) or 0) > newest:
                return True
        return False


def _newest_heartbeat(instance, after: float) -> float | None:
    """The newest fresh daemon heartbeat written after `after`, as a timestamp."""
    fresh = [beat.timestamp for beat in instance.get_daemon_heartbeats().values()
             if beat.timestamp > after and time.time() - beat.timestamp < HEARTBEAT_FRESH_SECONDS]
    return max(fresh, default=None)


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
def dagster_stack(home: Path, port: int, output, progress, serves_others: bool = False,
                  daemon_on_request: bool = False) -> Iterator[subprocess.Popen]:
    """Dagster's webserver and daemon on the instance `home` for the duration of a block (risk_assets/cli/
    dagster_stack.py), through the guard, so that no process of it outlives this command, even when it is killed
    (risk_assets/cli/guard.py). Every command that starts Dagster starts it here. With `daemon_on_request` the daemon
    starts when a line is written to the yielded process's standard input. The state file records it, so that the next
    command knows whether it still runs, and — when it `serves_others` (`risk-report ui`) — where its webserver is."""
    state = _state(home)
    if state.get("stopped") is None and state.get("pid") and not running(state["owner"]) and running(state["pid"]):
        _take_over(home, state, progress)
    if daemon_running(home, progress):
        raise UserError(f"a Dagster daemon is already running on the instance {home} (another risk-report command, or "
                        "`dagster dev` started by hand); launch through its webserver: export "
                        "RISK_DAGSTER_URL=http://127.0.0.1:3000 (its address), or stop it first")
    stack = [sys.executable, "-m", "risk_assets.cli.dagster_stack", "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "risk_assets.cli.guard", str(os.getpid()), "--",
         *stack, *(["--daemon-on-request"] if daemon_on_request else [])],
        cwd=PROJECT_DIR, stdin=subprocess.PIPE if daemon_on_request else subprocess.DEVNULL, stdout=output,
        stderr=subprocess.STDOUT if output else None, start_new_session=True,
        env={**os.environ, "DAGSTER_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1"}, preexec_fn=stop_with_parent)
    url = f"http://127.0.0.1:{port}" if serves_others else None
    _record(home, process.pid, None, url)
    try:
        yield process
    finally:
        if process.stdin:
            process.stdin.close()
        _stop(process)
        _record(home, process.pid, time.time(), url)


def _held_back_daemon(home: Path, stack: subprocess.Popen, log: Path) -> Callable[[Webserver], None]:
    """What starts a stack's held-back daemon (once; later calls do nothing)."""

    def start(server: Webserver) -> None:
        if stack.stdin is None or stack.stdin.closed:
            return
        stopped = UserError(f"the Dagster processes of this command stopped before its daemon started; their log: "
                            f"{log}")
        if stack.poll() is not None:
            raise stopped
        _deliver_from_now(server, home)
        try:
            stack.stdin.write(b"start the daemon\n")
            stack.stdin.close()
        except OSError:  # it ended just now
            raise stopped from None

    return start


def _deliver_from_now(server: Webserver, home: Path) -> None:
    """Before the held-back daemon's first tick: the report_delivery sensor starts after the newest existing report,
    as its first evaluation would (through the UI's "set cursor" mutation), so the reports of the command's runs
    count as new however late that tick comes."""
    from dagster import DagsterInstance

    from risk_assets.defs.delivery.sensor import DELIVERY_SENSOR, newest_report_id

    status, cursor = graphql.sensor_cursor(server, DELIVERY_SENSOR)
    if status == "RUNNING" and cursor is None:
        with DagsterInstance.from_config(str(home)) as instance:
            graphql.set_sensor_cursor(server, DELIVERY_SENSOR, str(newest_report_id(instance)))


@contextmanager
def dagster_service(settings: Settings, progress, daemon_after_launch: bool = False) -> Iterator[Webserver]:
    """A webserver to launch through. Dagster started here for the command: with `daemon_after_launch` its daemon
    starts at the server's first `start_daemon()` — call it once the command's backfills are launched — else
    at once."""
    home = dagster_home(settings)
    named = os.environ.get("RISK_DAGSTER_URL", "").rstrip("/")
    url = named or running_ui(home)
    if url:
        if not named:
            progress(f"launching through the running `risk-report ui` at {url}")
        server = Webserver(url)
        wait_until_loaded(server, 30)
        yield server
        return
    port = free_port()
    log = home / LOG_FILE
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out, dagster_stack(home, port, out, progress,
                                              daemon_on_request=daemon_after_launch) as stack:
        progress(f"starting Dagster (webserver + daemon) on http://127.0.0.1:{port}, instance {home}; log {log}")
        server = Webserver(f"http://127.0.0.1:{port}",
                           _held_back_daemon(home, stack, log) if daemon_after_launch else None)
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
