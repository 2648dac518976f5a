"""The Dagster UI as an operator uses it: `dagster dev` on a PostgreSQL-backed instance, a partition launched
through GraphQL, and the asset graph looked at in headless Chromium."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg2
import pytest

from risk_assets.demo import DEFAULT_DEMO_TENANTS, generate_demo, load_dataset
from risk_assets.settings import PROJECT_DIR
from risk_assets_tests.test_deploy import sqlalchemy_url

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_DIR / "build" / "screenshots"
WEEK = dt.date(2026, 11, 16)
PARTITION = f"seoul-central|{WEEK}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body
    return body["data"]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, AssertionError, KeyError) as exc:
            last_error = exc
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})")


def dismiss_welcome(page) -> None:
    """A first visit shows Dagster's community dialog over the page; close it as an operator would."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(timeout=5_000)
    except Exception:  # noqa: BLE001 — no dialog this time
        return
    skip.click()


def group_members(pgid: int) -> list[str]:
    return subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()


def wait_gone(pgid: int, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.5)
    return group_members(pgid)


LOCATIONS = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
LAUNCH = """mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on InvalidSubsetError { message } ... on RunConfigValidationInvalid { errors { message } } } }"""
STATUS = 'query Status($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }'


@pytest.fixture
def dagster_dev(pg_admin_url, source_template, tmp_path):
    from risk_assets_tests.conftest import (
        _create_database,
        _drop_database,
        _with_database,
    )

    names = {"dagster": _create_database(pg_admin_url), "source": _create_database(pg_admin_url, source_template),
             "risk": _create_database(pg_admin_url)}
    urls = {k: _with_database(pg_admin_url, v) for k, v in names.items()}
    with psycopg2.connect(urls["source"]) as conn:
        load_dataset(conn, generate_demo(DEFAULT_DEMO_TENANTS, WEEK, students_per_tenant=30))
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_DIR / "deploy" / "dagster.prod.yaml", home / "dagster.yaml")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "DAGSTER_PG_URL": sqlalchemy_url(urls["dagster"]),
           "SOURCE_DATABASE_URL": urls["source"], "RISK_DATABASE_URL": urls["risk"],
           "RISK_DATA_DIR": str(tmp_path / "data"), "RISK_REPORTS_DIR": str(tmp_path / "reports"),
           "RISK_OUTBOX_DIR": str(tmp_path / "outbox")}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-w", str(PROJECT_DIR / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield port, tmp_path
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        # dagster dev's children (webserver, daemon, code server) shut down after it; give them time.
        leftovers = wait_gone(process.pid, 60)
        for name in names.values():
            _drop_database(pg_admin_url, name)
        assert leftovers == [], f"processes left running: {leftovers}"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (`.ci/run` installs it)")
def test_ui_launches_a_partition_and_shows_the_graph(dagster_dev):
    port, folder = dagster_dev
    wait_for(lambda: [e for e in graphql(port, LOCATIONS)["workspaceOrError"]["locationEntries"]
                      if e["name"] == "risk_assets" and e["loadStatus"] == "LOADED"], 240, "the code location")
    tenant, week = PARTITION.split("|")
    launched = graphql(port, LAUNCH, {"params": {
        "selector": {"repositoryLocationName": "risk_assets", "repositoryName": "__repository__",
                     "jobName": "weekly_risk_job"},
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": PARTITION},
                                       {"key": "dagster/partition/tenant", "value": tenant},
                                       {"key": "dagster/partition/week", "value": week}]},
    }})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    status = wait_for(lambda: (s := graphql(port, STATUS, {"id": run_id})["runOrError"]["status"]) in
                      ("SUCCESS", "FAILURE", "CANCELED") and s, 300, "the run to finish")
    assert status == "SUCCESS"
    assert (folder / "reports" / week / f"{tenant}_report.html").exists()

    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/asset-groups", wait_until="networkidle")
            dismiss_welcome(page)
            for name in ("snapshot", "metrics", "tenant_summary", "tenant_report"):
                page.get_by_text(name, exact=True).first.wait_for(timeout=60_000)
            page.screenshot(path=str(SCREENSHOTS / "asset-graph.png"))
            page.goto(f"http://127.0.0.1:{port}/locations/risk_assets/jobs", wait_until="networkidle")
            page.get_by_text("delivery", exact=True).first.wait_for(timeout=60_000)
            page.screenshot(path=str(SCREENSHOTS / "jobs.png"))
        finally:
            browser.close()
