"""The Dagster webserver's GraphQL API, called exactly as the UI calls it (launchPartitionBackfill, …), and through
Dagster's public client (`dagster_graphql.DagsterGraphQLClient`) where it covers the call (launching a job's run)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from risk_assets.errors import UserError

LOCATION = "risk_assets"
REPOSITORY = "__repository__"

LOCATIONS = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus locationOrLoadError { "\
            "__typename ... on PythonError { message } } } } } }"
LAUNCH_BACKFILL = """mutation LaunchBackfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) { __typename
    ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message }
    ... on PartitionSetNotFoundError { message } ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message } ... on InvalidStepError { invalidStepKey } } }"""
BACKFILL = """query Backfill($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { id status numPartitions
    runs(limit: 10000) { runId status tags { key value } startTime endTime } } } }"""
RUN = """query Run($id: ID!) { runOrError(runId: $id) { __typename ... on Run { runId status creationTime startTime
  endTime tags { key value } } } }"""
FAILURES = """query Failures($id: ID!) { logsForRun(runId: $id, limit: 2000) { __typename
  ... on EventConnection { events { __typename
  ... on ExecutionStepFailureEvent { stepKey error { message } failureMetadata { description } }
  ... on AssetCheckEvaluationEvent { evaluation { checkName success severity description } } } } } }"""
RUN_EVENTS = """query RunEvents($id: ID!, $after: String) { logsForRun(runId: $id, afterCursor: $after, limit: 5000) {
  __typename ... on EventConnection { cursor hasMore events { __typename
    ... on MaterializationEvent { timestamp partition assetKey { path } }
    ... on AssetCheckEvaluationEvent { evaluation { checkName success severity description partition } }
    ... on ExecutionStepFailureEvent { stepKey error { message } failureMetadata { description
      metadataEntries { label ... on JsonMetadataEntry { jsonString } } } } } } } }"""
CANCEL_BACKFILL = """mutation CancelBackfill($id: String!) { cancelPartitionBackfill(backfillId: $id) { __typename
  ... on PythonError { message } ... on UnauthorizedError { message } } }"""
SENSOR = """query Sensor($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) { __typename
  ... on Sensor { sensorState { status typeSpecificData { ... on SensorData { lastCursor } } } } } }"""
DELIVERY_RUNS = """query DeliveryRuns($after: Float!) {
  runsOrError(filter: {pipelineName: "delivery", createdAfter: $after}) {
    ... on Runs { results { runId status runConfigYaml } } } }"""
PARTITION_KEYS = """query Keys($asset: AssetKeyInput!) { assetNodeOrError(assetKey: $asset) { __typename
  ... on AssetNode { partitionKeysByDimension { name partitionKeys } } } }"""
ADD_PARTITION = """mutation Add($selector: RepositorySelector!, $name: String!, $key: String!) {
  addDynamicPartition(repositorySelector: $selector, partitionsDefName: $name, partitionKey: $key) { __typename
    ... on PythonError { message } ... on UnauthorizedError { message } } }"""

SET_SENSOR_CURSOR = """mutation Cursor($selector: SensorSelector!, $cursor: String) {
  setSensorCursor(sensorSelector: $selector, cursor: $cursor) { __typename ... on PythonError { message }
    ... on UnauthorizedError { message } ... on SensorNotFoundError { message } } }"""

FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


@dataclass(frozen=True)
class Webserver:
    url: str  # e.g. http://127.0.0.1:3000
    # Starts the daemon of a Dagster this command started with its daemon held back until the command's backfills
    # are launched (risk_assets/cli/dagster_stack.py); None where the daemon already runs.
    daemon_starter: Callable[[Webserver], None] | None = field(default=None, compare=False, repr=False)

    def start_daemon(self) -> None:
        if self.daemon_starter is not None:
            self.daemon_starter(self)

    def query(self, query: str, variables: dict | None = None, timeout: float = 60) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/graphql", headers={"Content-Type": "application/json"},
                                         data=json.dumps({"query": query, "variables": variables or {}}).encode())
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = json.loads(response.read())
        except (urllib.error.URLError, OSError) as exc:
            raise UserError(f"the Dagster webserver at {self.url} did not answer ({exc}); is `risk-report ui` "
                            "running there?") from None
        if body.get("errors"):
            raise RuntimeError(f"GraphQL error from {self.url}: {body['errors'][0].get('message')}")
        return body["data"]

    def client(self):
        """Dagster's own GraphQL client for this webserver."""
        from dagster_graphql import DagsterGraphQLClient

        address = urllib.parse.urlsplit(self.url)
        return DagsterGraphQLClient(address.hostname or "127.0.0.1", port_number=address.port,
                                    use_https=address.scheme == "https", timeout=60)

    def location_status(self) -> tuple[str, str | None]:
        entries = self.query(LOCATIONS)["workspaceOrError"]["locationEntries"]
        for entry in entries:
            if entry["name"] == LOCATION:
                error = entry.get("locationOrLoadError") or {}
                return entry["loadStatus"], error.get("message")
        return "MISSING", None


def _launched(result: dict, what: str) -> dict:
    if result["__typename"] not in ("LaunchBackfillSuccess", "CancelBackfillSuccess"):
        detail = result.get("message") or result.get("errors") or result["__typename"]
        raise UserError(f"Dagster refused the {what}: {detail}")
    return result


def partition_keys(server: Webserver, asset: str, dimension: str) -> list[str]:
    node = server.query(PARTITION_KEYS, {"asset": {"path": [asset]}})["assetNodeOrError"]
    return next(d["partitionKeys"] for d in node["partitionKeysByDimension"] if d["name"] == dimension)


def add_dynamic_partition(server: Webserver, name: str, key: str) -> None:
    """As the UI's "Add partition" does."""
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
    result = server.query(ADD_PARTITION, {"selector": selector, "name": name, "key": key})["addDynamicPartition"]
    if result["__typename"] not in ("AddDynamicPartitionSuccess", "DuplicateDynamicPartitionError"):
        raise UserError(f"Dagster refused to add partition {key!r} to {name}: {result.get('message') or result}")


def launch_asset_backfill(server: Webserver, asset_keys: Sequence[str], partitions: Sequence[str], tags: dict,
                          title: str) -> str:
    params = {"assetSelection": [{"path": [key]} for key in asset_keys], "partitionNames": list(partitions),
              "fromFailure": False, "title": title, "tags": [{"key": k, "value": v} for k, v in tags.items()]}
    return _launched(server.query(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"],
                     "backfill")["backfillId"]


def launch_job_backfill(server: Webserver, job: str, partitions: Sequence[str], tags: dict) -> str:
    params = {"selector": {"partitionSetName": f"{job}_partition_set",
                           "repositorySelector": {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}},
              "partitionNames": list(partitions), "fromFailure": False,
              "tags": [{"key": k, "value": v} for k, v in tags.items()]}
    return _launched(server.query(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"],
                     "backfill")["backfillId"]


def launch_run(server: Webserver, job: str, run_config: dict, tags: dict) -> str:
    from dagster_graphql import DagsterGraphQLClientError

    try:
        return server.client().submit_job_execution(job, repository_location_name=LOCATION,
                                                     repository_name=REPOSITORY, run_config=run_config, tags=tags)
    except DagsterGraphQLClientError as exc:
        raise UserError(f"Dagster refused the run of {job}: {exc}") from None


def cancel_backfill(server: Webserver, backfill_id: str) -> None:
    """As the UI's "Cancel backfill": no new runs are launched, the running ones are terminated."""
    _launched(server.query(CANCEL_BACKFILL, {"id": backfill_id})["cancelPartitionBackfill"], "cancellation")


def backfill(server: Webserver, backfill_id: str) -> dict:
    return server.query(BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]


def run(server: Webserver, run_id: str) -> dict:
    return server.query(RUN, {"id": run_id})["runOrError"]


def run_events(server: Webserver, run_id: str) -> list[dict]:
    """The run's materializations, check evaluations and step failures, every page of them."""
    events, after = [], None
    while True:
        page = server.query(RUN_EVENTS, {"id": run_id, "after": after})["logsForRun"]
        events += page.get("events", [])
        if not page.get("hasMore"):
            return events
        after = page["cursor"]


def _failed_error_checks(events: list[dict]) -> list[str]:
    return [f"{e['evaluation']['checkName']}: {e['evaluation']['description']}" for e in events
            if e["__typename"] == "AssetCheckEvaluationEvent" and not e["evaluation"]["success"]
            and e["evaluation"]["severity"] == "ERROR"]


def run_failure(server: Webserver, run_id: str) -> str:
    """Why a run failed: a failed blocking check's own words, else the failed step's Failure description."""
    events = server.query(FAILURES, {"id": run_id})["logsForRun"].get("events", [])
    held = [f"held by {check}" for check in _failed_error_checks(events)]
    for event in events:
        if event["__typename"] == "ExecutionStepFailureEvent":
            described = (event.get("failureMetadata") or {}).get("description")
            message = ((event.get("error") or {}).get("message") or "").strip()
            first_line = message.splitlines()[0] if message else f"{event['stepKey']} failed"
            return "; ".join(held) or described or first_line
    return "; ".join(held) or "run failed"


def sensor_cursor(server: Webserver, sensor: str) -> tuple[str, str | None]:
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": sensor}
    state = server.query(SENSOR, {"selector": selector})["sensorOrError"]["sensorState"]
    return state["status"], (state.get("typeSpecificData") or {}).get("lastCursor")


def set_sensor_cursor(server: Webserver, sensor: str, cursor: str) -> None:
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": sensor}
    result = server.query(SET_SENSOR_CURSOR, {"selector": selector, "cursor": cursor})["setSensorCursor"]
    if result["__typename"] != "Sensor":
        raise RuntimeError(f"setting the {sensor} sensor's cursor: {result.get('message', result['__typename'])}")


def delivery_runs(server: Webserver, after: float) -> list[dict]:
    return server.query(DELIVERY_RUNS, {"after": after})["runsOrError"]["results"]
