"""Telling a running Dagster daemon from the fresh last heartbeat of one that has stopped (a `dagster dev` started
by hand and stopped): the CLI refuses to start a second daemon beside the first, and only beside a live one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dagster import DagsterInstance

from risk_assets.cli.dagster_service import HEARTBEAT_INTERVAL_SECONDS, daemon_running
from risk_assets_tests.processes import wait_for


def test_a_stopped_daemons_fresh_heartbeat_is_not_a_running_daemon(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    with DagsterInstance.from_config(str(tmp_path)):
        pass  # the storage exists before the daemon starts: two processes creating it at once can both stamp it
    daemon = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "--empty-workspace"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        with DagsterInstance.from_config(str(tmp_path)) as instance:
            wait_for(lambda: instance.get_daemon_heartbeats(), 120, "the daemon's first heartbeat")
        assert daemon_running(tmp_path, print) is True  # a newer heartbeat follows
    finally:
        os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait(timeout=30)

    started = time.monotonic()
    assert daemon_running(tmp_path, print) is False  # its last heartbeat is fresh, and no newer one comes
    assert time.monotonic() - started <= HEARTBEAT_INTERVAL_SECONDS + 5
