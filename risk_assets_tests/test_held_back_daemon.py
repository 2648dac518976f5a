"""The daemon a command holds back until its backfills are launched (risk_assets/cli/dagster_stack.py): when the
command's Dagster processes have already ended, starting it is a clear error naming their log, not a traceback."""

from __future__ import annotations

import subprocess

import pytest

from risk_assets.cli.dagster_service import _held_back_daemon
from risk_assets.cli.graphql import Webserver
from risk_assets.errors import UserError


def test_a_stack_that_has_ended_is_a_clear_error_naming_its_log(tmp_path):
    ended = subprocess.Popen(["true"], stdin=subprocess.PIPE)
    ended.wait(timeout=10)
    log = tmp_path / "risk-report-dagster.log"
    start = _held_back_daemon(tmp_path, ended, log)
    try:
        with pytest.raises(UserError, match=f"stopped before its daemon started; their log: {log}"):
            start(Webserver("http://127.0.0.1:9"))  # never asked: nothing is left to ask
    finally:
        assert ended.stdin is not None
        ended.stdin.close()
