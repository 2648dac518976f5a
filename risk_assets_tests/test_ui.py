"""The Dagster UI as an operator uses it: `dagster dev` (webserver + daemon) on a PostgreSQL-backed instance with
demo data; backfills launched with the UI's own GraphQL mutation (launchPartitionBackfill) from the asset graph and
from the job page; a school whose data fails the blocking check; the pages looked at in headless Chromium."""

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
from typing import Iterator

import psycopg2
import pytest
import yaml

from risk_assets.demo import DEFAULT_DEMO_TENANTS, generate_demo, load_dataset
from risk_assets.settings import PROJECT_DIR
from risk_assets_tests.delivery.channels import HOOK_ENV, HOOK_PATH, Channels, running_channels
from risk_assets_tests.source_rows import SourceRows
from risk_assets_tests.test_deploy import sqlalchemy_url

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_DIR / "build" / "screenshots"
WEEK = dt.date(2026, 11, 16)
WEEKS = [str(WEEK - dt.timedelta(days=14)), str(WEEK - dt.timedelta(days=7)), str(WEEK)]
ASSETS = ["snapshot", "metrics", "tenant_summary", "tenant_report"]
CHECKS = {"has_students", "has_activity", "theta_in_range", "unique_attendance", "insufficient_data_share"}
STALLED_ORG = 999  # enrolled students, no item presentations: fails the blocking has_activity check


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


def wait_for(predicate, timeout: float, what: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, AssertionError, KeyError) as exc:
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})")


def wait_for_tenant_partitions(port: int, tenants: list[str]) -> None:
    """The daemon's tenant_partitions sensor makes tenants.yaml's tenants partitions on its first tick."""
    from risk_assets.cli import graphql as ui

    server = ui.Webserver(f"http://127.0.0.1:{port}")
    wait_for(lambda: set(tenants) <= set(ui.partition_keys(server, "snapshot", "tenant")), 120,
             "the tenant_partitions sensor")


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
LAUNCH_BACKFILL = """mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) { __typename ... on LaunchBackfillSuccess { backfillId }
  ... on PythonError { message } ... on PartitionSetNotFoundError { message } } }"""
BACKFILL = """query Backfill($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill {
  status runs(limit: 1000) { runId status tags { key value } }
  assetBackfillData { assetBackfillStatuses { ... on AssetPartitionsStatusCounts { assetKey { path }
    numPartitionsTargeted numPartitionsMaterialized numPartitionsFailed numPartitionsInProgress } } } } } }"""
EVENTS = """query Events($id: ID!) { logsForRun(runId: $id, limit: 5000) { ... on EventConnection { events {
  __typename ... on MaterializationEvent { assetKey { path } partition }
  ... on AssetCheckEvaluationEvent { evaluation { checkName partition success } } } } } }"""
PARTITION_SETS = """{ partitionSetsOrError(repositorySelector: {repositoryLocationName: "risk_assets",
  repositoryName: "__repository__"}, pipelineName: "weekly_risk_job") { ... on PartitionSets { results { name pipelineName } } } }"""
JOBS_WITH_REPORT = """{ assetNodeOrError(assetKey: {path: ["tenant_report"]}) { ... on AssetNode { jobNames } } }"""
DONE = ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED")


def tenants_yaml(path: Path) -> None:
    tenants = [{"key": "seoul-central", "org_id": 101, "name": "서울중앙중학교"},
               {"key": "busan-ocean", "org_id": 102, "name": "부산해양고등학교"},
               {"key": "nyc-bridge", "org_id": 201, "name": "Bridge Academy NYC", "timezone": "America/New_York",
                "locale": "en"},
               {"key": "stalled", "org_id": STALLED_ORG, "name": "Stalled School"}]
    for tenant in tenants:
        tenant["delivery"] = {"email": {"to": [f"office@{tenant['key']}.example.org"]},
                              "slack": {"webhook_env": HOOK_ENV}}
    path.mkdir()
    (path / "tenants.yaml").write_text(yaml.safe_dump({"first_week": dt.date(2026, 10, 12), "tenants": tenants},
                                                      allow_unicode=True), encoding="utf-8")
    shutil.copyfile(PROJECT_DIR / "config" / "thresholds.yaml.example", path / "thresholds.yaml")


@pytest.fixture(scope="module")
def channels(tmp_path_factory) -> Iterator[Channels]:
    yield from running_channels(tmp_path_factory.mktemp("channels"))


@pytest.fixture(scope="module")
def dagster_dev(pg_admin_url, source_template, tmp_path_factory, channels):
    """One webserver + daemon for the module: each test backfills schools of its own."""
    tmp_path = tmp_path_factory.mktemp("ui")
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
        rows = SourceRows(conn)
        rows.organization(STALLED_ORG, "Stalled School")
        for n in range(3):
            rows.student(STALLED_ORG, f"student {n}")
    tenants_yaml(tmp_path / "config")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_DIR / "deploy" / "dagster.prod.yaml", home / "dagster.yaml")
    port = free_port()
    env = channels.environment({
           **os.environ, "DAGSTER_HOME": str(home), "DAGSTER_PG_URL": sqlalchemy_url(urls["dagster"]),
           "SOURCE_DATABASE_URL": urls["source"], "RISK_DATABASE_URL": urls["risk"], "RISK_DEPLOYMENT": "production",
           "RISK_CONFIG_DIR": str(tmp_path / "config"), "RISK_DATA_DIR": str(tmp_path / "data"),
           "RISK_REPORTS_DIR": str(tmp_path / "reports"), "RISK_OUTBOX_DIR": str(tmp_path / "outbox")})
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-w", str(PROJECT_DIR / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: [e for e in graphql(port, LOCATIONS)["workspaceOrError"]["locationEntries"]
                          if e["name"] == "risk_assets" and e["loadStatus"] == "LOADED"], 240, "the code location")
        wait_for_tenant_partitions(port, ["seoul-central", "busan-ocean", "nyc-bridge", "stalled"])
        yield port, tmp_path, urls["risk"]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        # dagster dev's children (webserver, daemon, code server) shut down after it; what the test's session
        # leaves after 20 s is stopped, then nothing of the group may remain.
        if group_members(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        leftovers = wait_gone(process.pid, 10)
        for name in names.values():
            _drop_database(pg_admin_url, name)
        assert leftovers == [], f"processes left running: {leftovers}"


def launch(port: int, params: dict) -> str:
    result = graphql(port, LAUNCH_BACKFILL, {"backfillParams": {"fromFailure": False, "tags": [], **params}})
    assert result["launchPartitionBackfill"]["__typename"] == "LaunchBackfillSuccess", result
    return result["launchPartitionBackfill"]["backfillId"]


def finished(port: int, backfill_id: str) -> dict:
    def done():
        state = graphql(port, BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        return state if state["status"] in DONE and all(
            r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in state["runs"]) else None
    return wait_for(done, 600, f"backfill {backfill_id}")


def outcomes(port: int, state: dict) -> tuple[set, set, dict]:
    """(asset, partition) materialised, (check, partition) evaluated, and run status per partition."""
    materialised, evaluated, statuses = set(), set(), {}
    for run in state["runs"]:
        tags = {t["key"]: t["value"] for t in run["tags"]}
        assert (tags["risk/tenant"], tags["risk/week"]) == tuple(tags["dagster/partition"].split("|"))
        statuses[tags["dagster/partition"]] = run["status"]
        for event in graphql(port, EVENTS, {"id": run["runId"]})["logsForRun"]["events"]:
            if event["__typename"] == "MaterializationEvent":
                materialised.add((event["assetKey"]["path"][-1], event["partition"]))
            elif event["__typename"] == "AssetCheckEvaluationEvent":
                evaluated.add((event["evaluation"]["checkName"], event["evaluation"]["partition"]))
    return materialised, evaluated, statuses


def partitions_of(tenant: str) -> list[str]:
    return [f"{tenant}|{week}" for week in WEEKS]


def assert_complete(port: int, backfill_id: str, tenant: str) -> None:
    state = finished(port, backfill_id)
    materialised, evaluated, statuses = outcomes(port, state)
    keys = partitions_of(tenant)
    assert statuses == {key: "SUCCESS" for key in keys}  # one run per partition, each a success
    assert materialised == {(asset, key) for asset in ASSETS for key in keys}
    assert evaluated == {(check, key) for check in CHECKS for key in keys}
    assert state["status"] == "COMPLETED_SUCCESS"


@pytest.mark.timeout(1500)
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (`.ci/run` installs it)")
def test_backfills_from_the_asset_graph_and_the_job_page_materialise_every_partition(dagster_dev):
    port, folder, _risk_url = dagster_dev
    # (a) The asset graph: "Materialize all" → one school × 3 weeks.
    asset_backfill = launch(port, {"assetSelection": [{"path": [a]} for a in ASSETS],
                                   "partitionNames": partitions_of("seoul-central")})
    # (b) The job page of every partitioned job that targets tenant_report: another school × 3 weeks.
    jobs = [j for j in graphql(port, JOBS_WITH_REPORT)["assetNodeOrError"]["jobNames"] if not j.startswith("__")]
    assert jobs == ["weekly_risk_job"]
    [partition_set] = graphql(port, PARTITION_SETS)["partitionSetsOrError"]["results"]
    job_backfill = launch(port, {"selector": {"partitionSetName": partition_set["name"], "repositorySelector": {
        "repositoryLocationName": "risk_assets", "repositoryName": "__repository__"}},
        "partitionNames": partitions_of("busan-ocean")})
    assert_complete(port, asset_backfill, "seoul-central")
    assert_complete(port, job_backfill, "busan-ocean")
    for week in WEEKS:
        assert (folder / "reports" / week / "seoul-central_report.html").exists()
        assert (folder / "reports" / week / "busan-ocean_report.html").exists()
    screenshots(port, asset_backfill)


@pytest.mark.timeout(1500)
def test_a_school_failing_the_blocking_check_holds_only_its_own_partitions(dagster_dev):
    port, folder, _risk_url = dagster_dev
    backfill_id = launch(port, {"assetSelection": [{"path": [a]} for a in ASSETS],
                                "partitionNames": partitions_of("nyc-bridge") + partitions_of("stalled")})
    state = finished(port, backfill_id)
    materialised, evaluated, statuses = outcomes(port, state)
    assert statuses == {**{key: "SUCCESS" for key in partitions_of("nyc-bridge")},
                        **{key: "FAILURE" for key in partitions_of("stalled")}}
    assert materialised == ({(asset, key) for asset in ASSETS for key in partitions_of("nyc-bridge")}
                            | {("snapshot", key) for key in partitions_of("stalled")})
    assert {("has_activity", key) for key in partitions_of("stalled")} <= evaluated
    assert state["status"] == "COMPLETED_FAILED"
    counts = {s["assetKey"]["path"][-1]: s for s in state["assetBackfillData"]["assetBackfillStatuses"]}
    assert (counts["snapshot"]["numPartitionsMaterialized"], counts["snapshot"]["numPartitionsFailed"]) == (6, 0)
    for asset in ("metrics", "tenant_summary", "tenant_report"):
        assert (counts[asset]["numPartitionsMaterialized"], counts[asset]["numPartitionsFailed"]) == (3, 3), asset
    assert not list((folder / "reports").glob("*/stalled_*"))


def _busan_deliveries(risk_url: str) -> list[tuple]:
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, channel, generation, status, attempts, runs, sent_at FROM risk.deliveries"
                    " WHERE tenant = 'busan-ocean' AND week = %s ORDER BY id", (WEEK,))
        return cur.fetchall()


def _busan_on_the_wire(channels: Channels) -> tuple[int, int]:
    """(e-mails, Slack posts) the channels received for busan-ocean's report of WEEK."""
    mails = [m for m in channels.smtp.handler.received if f"risk.{WEEK}.busan-ocean.".encode() in m.content]
    posts = [r for r in channels.slack.requests_to(HOOK_PATH)
             if "부산해양고등학교" in json.loads(r.body)["text"] and str(WEEK).encode() in r.body]
    return len(mails), len(posts)


@pytest.mark.timeout(900)
def test_a_rerun_of_an_unchanged_week_through_the_running_sensor_sends_nothing(dagster_dev, channels):
    """Issue 12, item 1 and its "Done when": the daemon's report_delivery sensor sees the re-run's new report and its
    delivery run sends nothing, because the report's content did not change."""
    from risk_assets.cli import graphql as ui
    from risk_assets.cli.materialize import wait_for_run

    port, folder, risk_url = dagster_dev
    server, key = ui.Webserver(f"http://127.0.0.1:{port}"), f"busan-ocean|{WEEK}"
    if not (folder / "reports" / str(WEEK) / "busan-ocean_report.html").exists():  # run alone, not after the backfills
        assert wait_for_run(server, ui.launch_run(server, "weekly_risk_job", {}, {"dagster/partition": key}),
                            300) == "SUCCESS"
    wait_for(lambda: [r for r in _busan_deliveries(risk_url) if r[3] == "sent"][1:], 180, "the sensor's delivery")
    before = _busan_deliveries(risk_url), _busan_on_the_wire(channels)

    since = time.time()
    assert wait_for_run(server, ui.launch_run(server, "weekly_risk_job", {}, {"dagster/partition": key}), 300) == "SUCCESS"
    delivered = wait_for(lambda: [r for r in ui.delivery_runs(server, since)
                                  if key in r["runConfigYaml"] and r["status"] in ("SUCCESS", "FAILURE")], 180,
                         "the sensor's delivery run for the re-run")
    assert [r["status"] for r in delivered] == ["SUCCESS"]
    assert (_busan_deliveries(risk_url), _busan_on_the_wire(channels)) == before
    assert before[1] == (1, 1)
    assert [(channel, status, attempts) for _, channel, _, status, attempts, _, _ in before[0]] == [
        ("email", "sent", 1), ("slack", "sent", 1)]


def screenshots(port: int, backfill_id: str) -> None:
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
            for name in ASSETS:
                page.get_by_text(name, exact=True).first.wait_for(timeout=60_000)
            page.screenshot(path=str(SCREENSHOTS / "asset-graph.png"))
            for route, name in ((f"/runs/b/{backfill_id}", "backfills.png"),
                                ("/assets/tenant_report?view=partitions", "report-partitions.png"),
                                ("/automation", "automation.png"),
                                ("/locations/risk_assets/jobs/weekly_risk_job/partitions", "job-partitions.png")):
                page.goto(f"http://127.0.0.1:{port}{route}", wait_until="networkidle")
                page.wait_for_timeout(3_000)  # the page's own queries settle after networkidle
                page.screenshot(path=str(SCREENSHOTS / name))
        finally:
            browser.close()
