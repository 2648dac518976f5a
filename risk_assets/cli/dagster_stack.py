"""`python -m risk_assets.cli.dagster_stack --port P [--daemon-on-request]`: the Dagster webserver and daemon a
risk-report command runs for its duration, under the guard (risk_assets/cli/guard.py). Each is the public CLI a
deployment runs (`dagster-webserver`, `dagster-daemon run`, both loading workspace.yaml).

Why not `dagster dev`, which starts the two at once: Dagster 1.13's backfill daemon looks for new backfills when it
starts and then every 30 s, a fixed interval. A command that starts Dagster and then launches backfills would wait
up to 30 s for their first runs. With `--daemon-on-request` the daemon starts when the command writes a line to
this process's standard input — after launching — so the daemon's first pass creates the runs
(docs/orchestration.md, "The CLI's own Dagster").
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from risk_assets.settings import PROJECT_DIR

WEBSERVER, DAEMON = "dagster-webserver", "dagster-daemon"
SERVICE_STOP_SECONDS = 8.0  # the webserver and daemon stop in 1-3 s; the guard kills what is left after its grace
POLL_SECONDS = 0.2


class _Stop(Exception):
    pass


def _raise_stop(_signum, _frame) -> None:
    raise _Stop()


def _service(name: str, *args: str) -> subprocess.Popen:
    workspace = str(PROJECT_DIR / "workspace.yaml")
    return subprocess.Popen([str(Path(sys.executable).parent / name), *args, "-w", workspace], cwd=PROJECT_DIR,
                            stdin=subprocess.DEVNULL)


def _wait_for_request(requested: threading.Event) -> None:
    if sys.stdin.readline():  # end of input (the command is gone) starts nothing: the guard stops the stack
        requested.set()


def _stop(services: dict[str, subprocess.Popen]) -> None:
    for service in reversed(services.values()):  # the daemon first: it launches no run while the webserver stops
        if service.poll() is None:
            service.terminate()
    for service in services.values():
        try:
            service.wait(timeout=SERVICE_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m risk_assets.cli.dagster_stack", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--daemon-on-request", action="store_true",
                        help="start the daemon when a line arrives on standard input, not at once")
    args = parser.parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _raise_stop)
    services: dict[str, subprocess.Popen] = {}
    requested = threading.Event()
    try:
        services[WEBSERVER] = _service(WEBSERVER, "-h", args.host, "-p", str(args.port))
        if args.daemon_on_request:
            threading.Thread(target=_wait_for_request, args=(requested,), daemon=True).start()
        else:
            requested.set()
        while True:
            if requested.is_set() and DAEMON not in services:
                services[DAEMON] = _service(DAEMON, "run")
            for name, service in services.items():
                if service.poll() is not None:
                    print(f"{name} exited with code {service.returncode}", file=sys.stderr)
                    return service.returncode or 1
            time.sleep(POLL_SECONDS)
    except _Stop:
        return 0
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        _stop(services)


if __name__ == "__main__":
    sys.exit(main())
