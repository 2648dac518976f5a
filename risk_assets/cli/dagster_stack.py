"""`python -m risk_assets.cli.dagster_stack --port P [--daemon-on-request]`: the Dagster services a risk-report
command runs for its duration, under the guard (risk_assets/cli/guard.py), each the public CLI a deployment runs:
a code server (`dagster code-server start`, the code location of workspace.yaml), the webserver
(`dagster-webserver`) and the daemon (`dagster-daemon run`), the last two loading the code from that one server —
as `dagster dev` does, so a reload in the UI reloads the daemon's code too.

Why not `dagster dev`, which starts the webserver and the daemon at once: Dagster 1.13's backfill daemon looks for
new backfills when it starts and then every 30 s, a fixed interval. A command that starts Dagster and then launches
backfills would wait up to 30 s for their first runs. With `--daemon-on-request` the daemon starts when the command
writes a line to this process's standard input — after launching — so the daemon's first pass creates the runs
(docs/orchestration.md, "The CLI's own Dagster").
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from risk_assets.cli.guard import Stop, ignore_stop_signals, stop_on_signals
from risk_assets.settings import PROJECT_DIR

CODE_SERVER, WEBSERVER, DAEMON = "code server", "dagster-webserver", "dagster-daemon"
LOCATION = "risk_assets"  # workspace.yaml's location name
CODE_MODULE = "risk_assets.definitions"  # workspace.yaml's module
SERVER_START_SECONDS = 120.0  # until the code server listens (it then loads the code, which the webserver awaits)
SERVICE_STOP_SECONDS = 8.0  # each service stops in 1-3 s; the guard kills what is left after its grace
POLL_SECONDS = 0.2


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _executable(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _start(*command: str) -> subprocess.Popen:
    return subprocess.Popen(list(command), cwd=PROJECT_DIR, stdin=subprocess.DEVNULL)


def _code_server(port: int) -> subprocess.Popen:
    return _start(_executable("dagster"), "code-server", "start", "-m", CODE_MODULE, "--location-name", LOCATION,
                  "-h", "127.0.0.1", "-p", str(port))


def _listening(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(POLL_SECONDS)
    raise SystemExit(f"the code server did not listen on port {port} (exit code {server.poll()})")


def _workspace(folder: Path, port: int) -> str:
    """A workspace of the one code server, for the webserver and the daemon (as `dagster dev` writes one)."""
    path = folder / "workspace.yaml"
    path.write_text(yaml.safe_dump({"load_from": [{"grpc_server": {"host": "127.0.0.1", "port": port,
                                                                   "location_name": LOCATION}}]}))
    return str(path)


def _wait_for_request(requested: threading.Event) -> None:
    if sys.stdin.readline():  # end of input (the command is gone) starts nothing: the guard stops the stack
        requested.set()


def _stop(services: dict[str, subprocess.Popen]) -> None:
    """The daemon first (it launches no run while the others stop), then the webserver, then the code server."""
    for service in reversed(services.values()):
        if service.poll() is None:
            service.terminate()
    for service in reversed(services.values()):
        try:
            service.wait(timeout=SERVICE_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()


def _supervise(services: dict[str, subprocess.Popen], requested: threading.Event, workspace: str) -> int:
    """Starts the daemon once requested; returns when a service exits (the stack exits with it)."""
    while True:
        if requested.is_set() and DAEMON not in services:
            services[DAEMON] = _start(_executable(DAEMON), "run", "-w", workspace)
        for name, service in services.items():
            if service.poll() is not None:
                print(f"{name} exited with code {service.returncode}", file=sys.stderr)
                return service.returncode or 1
        time.sleep(POLL_SECONDS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m risk_assets.cli.dagster_stack", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="the webserver's port")
    parser.add_argument("--daemon-on-request", action="store_true",
                        help="start the daemon when a line arrives on standard input, not at once")
    args = parser.parse_args(argv)
    stop_on_signals()
    services: dict[str, subprocess.Popen] = {}
    requested = threading.Event()
    try:
        with tempfile.TemporaryDirectory(prefix="risk-dagster-") as folder:
            code_port = free_port()
            services[CODE_SERVER] = _code_server(code_port)
            _listening(code_port, services[CODE_SERVER])
            workspace = _workspace(Path(folder), code_port)
            services[WEBSERVER] = _start(_executable(WEBSERVER), "-h", args.host, "-p", str(args.port),
                                         "-w", workspace)
            if args.daemon_on_request:
                threading.Thread(target=_wait_for_request, args=(requested,), daemon=True).start()
            else:
                requested.set()
            return _supervise(services, requested, workspace)
    except Stop:
        return 0
    finally:
        ignore_stop_signals()
        _stop(services)

if __name__ == "__main__":
    sys.exit(main())
