"""The weekly pipeline as one step, `weekly_risk`: snapshot → checks → metrics → tenant_summary → tenant_report for
every partition of its run, one school after another, each partition recorded on its own.

A backfill launches runs of up to `batch.size` partitions (tenants.yaml; `BackfillPolicy.multi_run`): one week ×
many schools, or one school × many weeks. A run pays its fixed costs once — process, imports, definitions, the
source connection, the results connection, the renderer's choice — instead of once per school. A UI Materialize of
one partition runs the same step on one partition. Why one step and not four, and what each failure looks like:
docs/orchestration.md.
"""

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TypeVar

import dagster as dg
import pandas as pd

from risk_assets.database.connection import DatabaseUnavailable
from risk_assets.defs.weekly.asset_conventions import ASSETS, FAILED_PARTITIONS, METRICS, REPORT, SNAPSHOT, SUMMARY
from risk_assets.defs.weekly.checks import WeeklyCheck, weekly_checks
from risk_assets.defs.weekly.metrics import compute, metrics_spec, stored_snapshot
from risk_assets.defs.weekly.report import render, report_spec, week_summary_csv
from risk_assets.defs.weekly.snapshot import snapshot_spec, take
from risk_assets.defs.weekly.summary import summarise, summary_spec
from risk_assets.errors import UserError
from risk_assets.partitions import TENANT, WEEK, partition_key, split_partition_key
from risk_assets.project import Project
from risk_assets.rendering import RenderSession, choose_renderer
from risk_assets.resource_types import MetricThresholds, RiskDatabase, SourceDatabase, Storage
from risk_assets.run_queue import PARTITION_DIMENSION_TAG, PARTITION_TAG, RUN_TAGS
from risk_assets.snapshot import Snapshot
from risk_assets.snapshot.build import SnapshotReader

STEP = "weekly_risk"
SOURCE_POOL = "source_db"  # concurrency pool: limits simultaneous batches reading the platform's database
SOURCE_RETRY_DELAYS = (1.0, 2.0, 4.0)  # seconds before each new try when the source cannot be reached
EARLIER_WEEK_WAIT_SECONDS = 1800  # how long a partition waits for its previous week, materialised by another run
EARLIER_WEEK_POLL_SECONDS = 2.0
LISTED_PROBLEMS = 20  # a failed run's description names this many partitions; its metadata holds them all

T = TypeVar("T")


class PartitionFailed(Exception):
    """A partition's own problem: it fails that partition alone (its message is what the operator reads)."""


class WeeklyBatch:
    """One run's partitions, each through the selected stages; what each produced, was held by or failed with."""

    def __init__(self, project: Project, context: dg.AssetExecutionContext, source: SourceDatabase, storage: Storage,
                 risk_db: RiskDatabase, thresholds: MetricThresholds, pipes: dg.PipesSubprocessClient):
        self.project, self.context, self.storage, self.risk_db, self.pipes = project, context, storage, risk_db, pipes
        self.source_url = source.url
        self.rules = thresholds.thresholds()
        self.selected = {key.to_user_string() for key in context.selected_asset_keys}
        every_check = weekly_checks(project)
        self.checks = [check for check in every_check if check.key in context.selected_asset_check_keys]
        self.blocking = [check for check in every_check if check.blocking]
        self.keys = sorted(context.partition_keys, key=_oldest_week_first)
        self.materialized: dict[str, dict[str, dict]] = {asset: {} for asset in ASSETS}  # asset → partition → metadata
        self.evaluations: list[dg.AssetCheckEvaluation] = []
        self.problems: dict[str, str] = {}  # partition → why it was held or failed
        self.source_down: str | None = None
        self.earlier_in_progress: set[str] = set()

    # -- the run ---------------------------------------------------------------------------------------------------

    def run(self) -> Iterator[object]:
        self._tag_run()
        started = time.perf_counter()
        with ExitStack() as stack:
            reader = stack.enter_context(SnapshotReader(self.source_url, self.storage.sql_path))
            conn = stack.enter_context(self._results_connection()) if self._needs_results() else None
            session = self._render_session(stack)
            self.earlier_in_progress = self._earlier_weeks_in_progress()
            for key in self.keys:
                self._partition(key, reader, conn, session)
            if self.materialized[REPORT]:
                self._add_week_tables(conn)
        self.context.log.info("%d partition(s) in %.1f s: %d materialised, %d held or failed", len(self.keys),
                              time.perf_counter() - started, len(self.keys) - len(self.problems), len(self.problems))
        yield from self._events()
        if self.problems:
            raise dg.Failure(description=self._failure_description(),
                             metadata={FAILED_PARTITIONS: dg.MetadataValue.json(self.problems)},
                             allow_retries=False)

    def _tag_run(self) -> None:
        """risk/week and risk/tenant on a run whose partitions share them, for the Runs page's filters (the run
        queue tags one-partition runs itself, from Dagster's partition tags)."""
        tags = self.context.run.tags
        if any(PARTITION_DIMENSION_TAG.format(d) in tags for d in (WEEK, TENANT)) and PARTITION_TAG not in tags:
            # Dagster 1.13 gives a multi-partitioned job's ranged run the first partition's tags only (dagster-io/
            # dagster#28861): the run would process one school and report the others done.
            raise dg.Failure(description="this run covers a range of partitions of a job, which Dagster runs wrongly: "
                             "backfill from the asset graph (Materialize → partitions) instead (docs/orchestration.md)",
                             allow_retries=False)
        shared = {}
        for tag, dimension in RUN_TAGS.items():
            values = {key.keys_by_dimension[dimension] for key in self.keys}
            if len(values) == 1 and tag not in tags:
                shared[tag] = values.pop()
        if shared and len(self.keys) > 1:
            self.context.instance.add_run_tags(self.context.run.run_id, shared)

    def _needs_results(self) -> bool:
        return bool(self.selected & {SUMMARY, REPORT})

    @contextmanager
    def _results_connection(self):
        """One connection to the results database for the batch; each partition commits its own transaction."""
        try:
            with self.risk_db.connect(self.storage.sql_path) as conn:
                yield conn
        except DatabaseUnavailable as exc:
            raise dg.Failure(description=str(exc), allow_retries=True) from None

    def _render_session(self, stack: ExitStack) -> RenderSession | None:
        """The batch's renderer, chosen once; with Quarto, its cell worker and skeleton pages serve every report."""
        if REPORT not in self.selected:
            return None
        try:
            renderer = choose_renderer(self.project.report_renderer)
        except UserError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        self.context.log.info(renderer.reason)
        return stack.enter_context(RenderSession(renderer, cache_dir=self.storage.render_cache_path))

    # -- one partition ---------------------------------------------------------------------------------------------

    def _partition(self, key: dg.MultiPartitionKey, reader: SnapshotReader, conn,
                   session: RenderSession | None) -> None:
        week, tenant = split_partition_key(key)
        partition = str(key)
        try:
            snapshot = self._snapshot(reader, week, tenant, partition)
            snapshot = self._check(SNAPSHOT, partition, tenant, snapshot, lambda: stored_snapshot(self.storage, week,
                                                                                                   tenant))
            frame = self._metrics(week, tenant, partition, snapshot)
            self._check(METRICS, partition, tenant, frame, lambda: pd.read_parquet(
                self.storage.metrics_file(week, tenant), columns=["level"]))
            if SUMMARY in self.selected:
                self._wait_for_earlier_week(key)
                self.materialized[SUMMARY][partition] = summarise(self.project.config.tenants, self.rules,
                                                                  self.storage, conn, week, tenant)
            if REPORT in self.selected:
                assert session is not None  # _render_session opens one whenever REPORT is selected
                self.materialized[REPORT][partition] = render(self.project, session, self.storage, conn, week, tenant,
                                                              self.context.run.run_id)
                self.context.log.info("report %s week %s: %s", tenant, week, self.materialized[REPORT][partition]
                                      ["report"].value)
        except (PartitionFailed, UserError) as exc:
            self._fail(partition, str(exc), conn)
        except Exception as exc:  # noqa: BLE001 — one school's unexpected error fails that school, not the batch
            self.context.log.exception("tenant '%s' week %s failed", tenant, week)
            self._fail(partition, f"{type(exc).__name__}: {exc}".splitlines()[0], conn)

    def _fail(self, partition: str, reason: str, conn) -> None:
        self.problems.setdefault(partition, reason)
        self.context.log.error("%s: %s", partition, reason)
        if conn is not None:
            conn.rollback()  # the next school starts on a clean transaction

    def _snapshot(self, reader: SnapshotReader, week: dt.date, tenant: str, partition: str) -> Snapshot | None:
        if SNAPSHOT not in self.selected:
            return None
        if self.source_down:
            raise PartitionFailed(self.source_down)
        taken, metadata = self._with_source_retries(lambda: take(self.project, reader, self.storage, week, tenant))
        self.materialized[SNAPSHOT][partition] = metadata
        self.context.log.info("snapshot %s week %s: %s", tenant, week,
                              ", ".join(f"{n} {t}" for t, n in taken.row_counts().items()))
        return taken

    def _with_source_retries(self, read: Callable[[], T]) -> T:
        for delay in (*SOURCE_RETRY_DELAYS, None):
            try:
                return read()
            except DatabaseUnavailable as exc:
                if delay is None:
                    self.source_down = f"{exc} (tried {len(SOURCE_RETRY_DELAYS) + 1} times)"
                    raise PartitionFailed(self.source_down) from None
                self.context.log.warning("%s; trying again in %.0f s", exc, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _check(self, asset: str, partition: str, tenant: str, value, stored: Callable[[], object]):
        """Evaluates the selected checks of `asset` for the partition (on the value just made, else the stored one)
        and records them. A blocking rule holds the partition's later stages whether or not its check is selected
        when the stage that reads the asset runs (a re-execution of the metrics alone is held by a stalled snapshot
        too; a report rendered again from its stored summary is not); only selected checks are recorded."""
        selected = [check for check in self.checks if check.asset == asset]
        gates = [check for check in self.blocking if check.asset == asset and check not in selected
                 and self._next_stage_selected(asset)]
        if (selected or gates) and value is None:
            value = stored()
        enabled = self.project.config.tenants.get(tenant).enabled
        held: list[str] = []
        for check in selected + gates:
            outcome = check.rule(value, enabled)
            if check in selected:
                self.evaluations.append(check.evaluation(outcome, partition))
            if check.holds(outcome):
                held.append(f"held by {check.name}: {outcome.description}")
        if held:
            raise PartitionFailed("; ".join(held))
        return value

    def _next_stage_selected(self, asset: str) -> bool:
        following = ASSETS[ASSETS.index(asset) + 1:]
        return bool(following) and following[0] in self.selected

    def _metrics(self, week: dt.date, tenant: str, partition: str, snapshot: Snapshot | None):
        if METRICS not in self.selected:
            return None
        snapshot = snapshot if snapshot is not None else stored_snapshot(self.storage, week, tenant)
        frame, metadata = compute(self.project, self.context, self.pipes, self.storage, self.rules, snapshot)
        self.materialized[METRICS][partition] = metadata
        return frame

    # -- weeks that depend on each other across runs ---------------------------------------------------------------

    def _earlier_weeks_in_progress(self) -> set[str]:
        """The partitions of the week before each of this run's that another run is materialising now: a summary
        compares with the previous week's stored results, so it waits for them (docs/orchestration.md)."""
        if SUMMARY not in self.selected:
            return set()
        ours = {str(key) for key in self.keys}
        earlier = sorted({str(_previous(key)) for key in self.keys} - ours)
        return self._in_progress(earlier)

    def _in_progress(self, partitions: list[str]) -> set[str]:
        if not partitions:
            return set()
        statuses = self.context.instance.get_status_by_partition(dg.AssetKey(SUMMARY), partitions,
                                                                 self.project.partitions) or {}
        return {key for key, status in statuses.items() if status == dg.AssetPartitionStatus.IN_PROGRESS}

    def _wait_for_earlier_week(self, key: dg.MultiPartitionKey) -> None:
        earlier = str(_previous(key))
        if earlier not in self.earlier_in_progress:
            return
        deadline = time.monotonic() + EARLIER_WEEK_WAIT_SECONDS
        self.context.log.info("waiting for %s, which another run is materialising", earlier)
        while self._in_progress([earlier]):
            if time.monotonic() > deadline:
                raise PartitionFailed(f"the week before ({earlier}) was still being materialised by another run after "
                                      f"{EARLIER_WEEK_WAIT_SECONDS} s: re-execute this partition once it is done "
                                      "(docs/orchestration.md: backfills over several weeks)")
            time.sleep(EARLIER_WEEK_POLL_SECONDS)
        self.earlier_in_progress.discard(earlier)

    # -- what the run records --------------------------------------------------------------------------------------

    def _add_week_tables(self, conn) -> None:
        """summary.csv once per week of the batch, after its reports are published."""
        weeks = sorted({split_partition_key(partition)[0] for partition in self.materialized[REPORT]})
        for week in weeks:
            try:
                csv_path, schools = week_summary_csv(self.storage, conn, week)
            except UserError as exc:
                for partition in [p for p in self.materialized[REPORT] if split_partition_key(p)[0] == week]:
                    self._fail(partition, str(exc), conn)
                    del self.materialized[REPORT][partition]
                continue
            for partition, metadata in self.materialized[REPORT].items():
                if split_partition_key(partition)[0] == week:
                    metadata.update({"summary_csv": dg.MetadataValue.path(str(csv_path)),
                                     "tenants_in_summary_csv": schools})

    def _events(self) -> Iterator[object]:
        """Each materialised partition, then its checks' evaluations. When every partition of the run materialised
        an asset, its event also carries the asset's code version and data version (Dagster adds them to outputs
        only); otherwise each partition gets its own event without them (docs/orchestration.md)."""
        for asset in ASSETS:
            done = self.materialized[asset]
            if asset in self.selected and len(done) == len(self.keys):
                for partition, metadata in done.items():
                    self.context.add_asset_metadata(metadata, asset_key=asset, partition_key=partition)
                yield dg.MaterializeResult(asset_key=asset)
            else:
                for partition, metadata in done.items():
                    yield dg.AssetMaterialization(asset_key=asset, partition=partition, metadata=metadata)
            yield from (e for e in self.evaluations if e.asset_key.to_user_string() == asset)
        yield from self._check_outputs()

    def _check_outputs(self) -> Iterator[dg.Output]:
        """The step's output of each selected check, as Dagster yields for an AssetCheckResult: the evaluations
        above are per partition, and a step that opened a Pipes session (the R engine) must yield every output."""
        names = {spec.key: name for name, spec in self.context.assets_def.check_specs_by_output_name.items()}
        for check in self.checks:
            yield dg.Output(None, output_name=names[check.key])

    def _failure_description(self) -> str:
        shown = list(self.problems.items())[:LISTED_PROBLEMS]
        lines = [f"{len(self.problems)} of {len(self.keys)} partition(s) held or failed (the others are "
                 "materialised):", *(f"- {partition}: {reason}" for partition, reason in shown)]
        if len(self.problems) > LISTED_PROBLEMS:
            lines.append(f"- and {len(self.problems) - LISTED_PROBLEMS} more (metadata `{FAILED_PARTITIONS}`)")
        return "\n".join(lines)


def _oldest_week_first(key: dg.MultiPartitionKey) -> tuple[str, str]:
    return key.keys_by_dimension[WEEK], key.keys_by_dimension[TENANT]


def _previous(key: dg.MultiPartitionKey) -> dg.MultiPartitionKey:
    week, tenant = split_partition_key(key)
    return partition_key(week - dt.timedelta(days=7), tenant)


def build_weekly_risk(project: Project) -> dg.AssetsDefinition:
    checks: list[WeeklyCheck] = weekly_checks(project)

    @dg.multi_asset(
        name=STEP,
        specs=[snapshot_spec(project), metrics_spec(project), summary_spec(project), report_spec(project)],
        check_specs=[check.spec(project.partitions) for check in checks],
        can_subset=True,
        partitions_def=project.partitions,
        backfill_policy=dg.BackfillPolicy.multi_run(project.batch_size),
        pool=SOURCE_POOL,
    )
    def weekly_risk(context: dg.AssetExecutionContext, source: SourceDatabase, storage: Storage,
                    risk_db: RiskDatabase, thresholds: MetricThresholds,
                    pipes_subprocess_client: dg.PipesSubprocessClient) -> Iterator[object]:
        yield from WeeklyBatch(project, context, source, storage, risk_db, thresholds, pipes_subprocess_client).run()

    return weekly_risk

