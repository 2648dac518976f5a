"""`risk-report` command line. User mistakes print one clear message and exit 2 — no traceback.

Heavy modules (Dagster, the demo generator) are imported inside the commands that use them, so
`risk-report db ...` stays quick and configuration errors raised while importing are still reported cleanly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import time
import warnings
from collections.abc import Sequence

from risk_assets.config import AppConfig, load_config
from risk_assets.errors import UserError
from risk_assets.settings import Settings
from risk_assets.vocabulary import CRIT, LEVEL_INSUFFICIENT, LEVEL_OK_PARTIAL, OK, WARN

EXIT_USER_ERROR = 2
EXIT_RUN_FAILED = 1
DEMO_SEED = 20261116
DEMO_WEEKS = 3  # the demo materialises the last three complete weeks, so the newest has week-over-week figures


class Progress:
    """Step lines with elapsed time, so long steps are visibly alive."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", flush=True)


def _config(settings: Settings, progress: Progress) -> AppConfig:
    config = load_config(settings.config_dir)
    if config.tenants_path.suffix == ".example" or config.thresholds_path.suffix == ".example":
        progress(f"using example configuration from {settings.config_dir} (copy the *.example files to customise)")
    return config


def _preflight(config: AppConfig, tenants: Sequence[str], *, metrics: bool = True) -> None:
    """What would fail late, checked before the run starts (exit 2): SMTP and Slack settings, and Rscript
    for metrics_engine: r."""
    from risk_assets.delivery.preflight import check_delivery_settings

    check_delivery_settings([config.tenants.get(key) for key in tenants])
    if metrics and config.tenants.metrics_engine == "r":
        from risk_assets.metrics.r_engine import rscript

        rscript()


def _selected_tenants(config: AppConfig, requested: Sequence[str] | None) -> list[str]:
    if requested:
        return [config.tenants.get(key).key for key in requested]
    return [t.key for t in config.tenants.enabled]


def _print_outputs(settings: Settings, outcomes) -> None:
    import pandas as pd

    from risk_assets.cli.table import format_table
    from risk_assets.partition_files import REPORT
    from risk_assets.resource_types import Storage
    from risk_assets.summary.figures import level_counts

    storage = Storage.from_settings(settings)
    rows = []
    for outcome in outcomes:
        if not outcome.success:
            rows.append([outcome.tenant, outcome.week, "FAILED", *[""] * 7, outcome.error.splitlines()[0]])
            continue
        manifest = storage.snapshots().manifest(outcome.week, outcome.tenant)
        metrics = storage.metrics_file(outcome.week, outcome.tenant)
        # One thread: after threaded pandas Parquet reads the interpreter's exit aborted now and then ("terminate
        # called without an active exception", exit -6 instead of the command's code): 9 in 150 exits of a minimal
        # script here, 1 in 150 with one thread. Not understood further (docs/reliability.md).
        levels = level_counts(pd.read_parquet(metrics, columns=["level", "coverage"], use_threads=False))
        rows.append([
            outcome.tenant, outcome.week, "ok" if outcome.clean else "CHECK FAILED", manifest["rows"]["students"],
            manifest["rows"]["presentations"],
            sum(manifest["quality"].values()), levels[CRIT], levels[WARN], levels[OK] + levels[LEVEL_OK_PARTIAL],
            levels[LEVEL_INSUFFICIENT], storage.partition_files(outcome.week, outcome.tenant).published(REPORT).name,
        ])
    print()
    print(format_table(
        ["tenant", "week", "status", "students", "presentations", "data issues", "CRIT", "WARN", "OK",
         "INSUFF", "report"],
        rows,
    ))
    for week in sorted({o.week for o in outcomes}):
        folder = storage.reports_path / week.isoformat()
        if folder.exists():
            print(f"\n{folder}:")
            for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
                print(f"  {path.name}  ({path.stat().st_size:,} bytes)")
    for outcome in outcomes:
        if not outcome.success:
            print(f"\n{_prefixed(outcome, outcome.error)}", file=sys.stderr)
        for check in outcome.failed_checks:
            print(f"\n{_prefixed(outcome, 'check ' + check)}", file=sys.stderr)


def _prefixed(outcome, text: str) -> str:
    """"<tenant> <week>: text", once: a message that already names the partition is not prefixed again."""
    prefix = f"{outcome.tenant} {outcome.week}: "
    return text if text.startswith(prefix) else prefix + text


def _materialize(settings: Settings, server, weeks, tenants: list[str], title: str, trigger: str,
                 progress: Progress) -> tuple[int, list]:
    """Weeks × tenants through Dagster as asset backfills (batched runs), outputs printed after."""
    from risk_assets.cli.materialize import materialize

    progress(f"materialising {len(weeks)} week(s) × {len(tenants)} tenant(s) through Dagster: {title}")
    _backfill_ids, outcomes = materialize(server, weeks, tenants, title, trigger, progress)
    _print_outputs(settings, outcomes)
    return (0 if all(o.clean for o in outcomes) else EXIT_RUN_FAILED), outcomes


def _deliver_through_sensor(server, outcomes, since: float, progress: Progress) -> int:
    """The report_delivery sensor sends every new report; wait until its runs have covered them all."""
    from risk_assets.cli.graphql import run_failure
    from risk_assets.cli.materialize import (
        deliver,
        wait_for_sensor_deliveries,
        wait_for_sensor_start,
    )
    from risk_assets.partitions import partition_key

    reports = {str(partition_key(o.week, o.tenant)) for o in outcomes if o.success}
    if not reports:
        return 0
    if not wait_for_sensor_start(server, "report_delivery", timeout=5):
        progress("the report_delivery sensor is stopped: delivering with one run of the delivery job")
        success, run_id, error = deliver(server, sorted(reports), {"risk/trigger": "cli"}, progress)
        runs = [{"runId": run_id, "status": "SUCCESS" if success else "FAILURE"}]
    else:
        progress(f"waiting for the report_delivery sensor to deliver {len(reports)} report(s) to the outbox or "
                 "SMTP/Slack")
        runs = wait_for_sensor_deliveries(server, since, reports)
    failed = [r for r in runs if r["status"] != "SUCCESS"]
    for run in failed:
        print(f"\ndelivery run {run['runId']}: {run_failure(server, run['runId'])}", file=sys.stderr)
    progress(f"delivered in {len(runs)} delivery run(s)" + (f", {len(failed)} failed" if failed else ""))
    return EXIT_RUN_FAILED if failed else 0


def cmd_demo(args: argparse.Namespace, settings: Settings, progress: Progress) -> int:
    from risk_assets.cli.dagster_service import dagster_service
    from risk_assets.cli.demo import needs_seeding, refuse_unless_demo_allowed, seed
    from risk_assets.cli.materialize import wait_for_sensor_start
    from risk_assets.cli.runtime import databases
    from risk_assets.partitions import latest_complete_week

    refuse_unless_demo_allowed(settings)
    config = _config(settings, progress)
    week = latest_complete_week(config.tenants)
    weeks = [week - dt.timedelta(days=7 * back) for back in reversed(range(DEMO_WEEKS))]
    with databases(settings, progress) as dbs:
        stale, reason = needs_seeding(dbs.source_url, config, week)
        progress(reason)
        if stale or args.reseed:
            seed(settings, config, dbs.source_url, week, args.seed, progress)
        with dagster_service(settings, progress, daemon_after_launch=True) as server:
            if server.daemon_starter is None:  # a running daemon (`risk-report ui`): its sensor's first tick first
                wait_for_sensor_start(server, "report_delivery")  # so the demo's reports count as new
            since = time.time()
            code, outcomes = _materialize(settings, server, weeks, _selected_tenants(config, None), "risk-report demo",
                                          "demo", progress)
            code = max(code, _deliver_through_sensor(server, outcomes, since, progress))
    progress("demo finished" if code == 0 else "demo finished with failures (see above)")
    return code


def cmd_seed_demo(args: argparse.Namespace, settings: Settings, progress: Progress) -> int:
    from risk_assets.cli.demo import refuse_unless_demo_allowed, seed
    from risk_assets.cli.runtime import databases
    from risk_assets.partitions import latest_complete_week, parse_week

    refuse_unless_demo_allowed(settings)
    config = _config(settings, progress)
    week = (parse_week(args.week, config.tenants, config.tenants.keys) if args.week
            else latest_complete_week(config.tenants))
    with databases(settings, progress) as dbs:
        seed(settings, config, dbs.source_url, week, args.seed, progress)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings, progress: Progress) -> int:
    from risk_assets.cli.dagster_service import dagster_service
    from risk_assets.cli.runtime import databases
    from risk_assets.partitions import parse_week

    config = _config(settings, progress)
    tenants = _selected_tenants(config, args.tenant)
    if not tenants:
        raise UserError("no enabled tenants in tenants.yaml; enable one or name it with --tenant")
    week = parse_week(args.week, config.tenants, tenants)
    _preflight(config, tenants)
    with databases(settings, progress), dagster_service(settings, progress, daemon_after_launch=True) as server:
        code, _outcomes = _materialize(settings, server, [week], tenants, f"risk-report run --week {week}", "cli",
                                       progress)
    return code


def cmd_validate(args: argparse.Namespace, settings: Settings, progress: Progress) -> int:
    """What a run checks before it starts, for every enabled tenant, without starting anything (exit 2 on a
    mistake): both configuration files, the delivery settings, Rscript for metrics_engine: r, the renderer."""
    from risk_assets.project import Project
    from risk_assets.rendering import choose_renderer

    config = _config(settings, progress)
    enabled = [tenant.key for tenant in config.tenants.enabled]
    _preflight(config, enabled)
    renderer = choose_renderer(Project(config, settings).report_renderer)
    print(f"valid: {config.tenants_path} ({len(config.tenants.tenants)} tenants, {len(enabled)} enabled), "
          f"{config.thresholds_path}, delivery settings for every enabled tenant")
    print(renderer.reason)
    return 0


def cmd_accuracy(args: argparse.Namespace, settings: Settings, progress: Progress) -> int:
    from risk_assets.cli.accuracy import ACCURACY_DATABASE, measure_accuracy, print_accuracy
    from risk_assets.config import Thresholds
    from risk_assets.partitions import latest_complete_week
    from risk_assets.resource_types import embedded_server

    config = _config(settings, progress)
    week = latest_complete_week(config.tenants)
    # The optional ENGAGEMENT domain is scored too: being on changes no other domain's status.
    profiles = {name: Thresholds.from_mapping({"profile": name, "engagement": {"enabled": True}})
                for name in ("legacy", "reliable")}
    server = embedded_server(settings)
    progress(f"using the embedded PostgreSQL server ({server.data_dir}), database {ACCURACY_DATABASE}")
    with server.running():
        table = measure_accuracy(server, settings.sql_dir, week, args.students, args.seed, profiles, progress)
    print_accuracy(table)
    return 0


def cmd_backfill(args: argparse.Namespace, settings: Settings, progress: Progress) -> int:
    from risk_assets.cli.dagster_service import dagster_service
    from risk_assets.cli.runtime import databases
    from risk_assets.partitions import parse_week

    config = _config(settings, progress)
    tenant = config.tenants.get(args.tenant).key
    first = parse_week(args.from_week, config.tenants, [tenant], flag="--from")
    last = parse_week(args.to_week, config.tenants, [tenant], flag="--to")
    if last < first:
        raise UserError(f"--to {last} is before --from {first}; give the older week first")
    weeks = [first + dt.timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]
    _preflight(config, [tenant])
    with databases(settings, progress), dagster_service(settings, progress, daemon_after_launch=True) as server:
        code, _outcomes = _materialize(settings, server, weeks, [tenant],
                                       f"risk-report backfill {tenant} {first} … {last}", "cli-backfill", progress)
    return code


def cmd_export_snapshot(args: argparse.Namespace, settings: Settings, progress: Progress) -> int:
    from pathlib import Path

    from risk_assets.metrics.exchange import export_snapshot
    from risk_assets.snapshot import SnapshotStore

    config = _config(settings, progress)
    tenant = config.tenants.get(args.tenant).key
    week = _any_week(args.week, config)
    store = SnapshotStore(settings.snapshots_dir)
    if not store.folder(week, tenant).exists():
        raise UserError(f"no snapshot of tenant '{tenant}' for week {week} in {store.root}; materialise it first")
    folder = export_snapshot(store.read(week, tenant), Path(args.to))
    print(f"{folder}  (for: Rscript r/compute_metrics.R {folder} {config.thresholds_path} students.csv)")
    return 0


def cmd_deliveries(args: argparse.Namespace, settings: Settings, progress: Progress) -> int:
    from risk_assets.cli.runtime import databases
    from risk_assets.cli.table import format_table
    from risk_assets.delivery.ledger import Ledger
    from risk_assets.resource_types import RiskDatabase

    config = _config(settings, progress)
    week = _any_week(args.week, config)
    with databases(settings, progress) as dbs, RiskDatabase(url=dbs.risk_url).connect(settings.sql_dir) as conn:
        listing = Ledger(conn).listing(week)
    if listing.empty:
        print(f"no deliveries recorded for week {week}")
        return 0
    print(format_table(list(listing.columns), listing.fillna("").astype(str).values.tolist()))
    return 0


def cmd_resend(args: argparse.Namespace, settings: Settings, progress: Progress) -> int:
    import getpass
    import socket

    from risk_assets.cli.dagster_service import dagster_service
    from risk_assets.cli.materialize import deliver
    from risk_assets.cli.runtime import databases
    from risk_assets.defs.delivery.job import ONLY_CHANNEL_TAG
    from risk_assets.delivery.content import ReportDelivery
    from risk_assets.delivery.ledger import CHANNELS, Ledger
    from risk_assets.partition_files import REPORT, SUMMARY
    from risk_assets.partitions import partition_key
    from risk_assets.resource_types import RiskDatabase, Storage

    config = _config(settings, progress)
    tenant = config.tenants.get(args.tenant).key
    week = _any_week(args.week, config)
    _preflight(config, [tenant], metrics=False)
    storage = Storage.from_settings(settings)
    files = storage.partition_files(week, tenant)
    if not files.published(REPORT).exists():
        raise UserError(f"there is no report of tenant '{tenant}' for week {week} ({files.published(REPORT)}); "
                        "materialise it first")
    checksum = ReportDelivery.load(files.published(SUMMARY), files.published(REPORT)).checksum
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    with databases(settings, progress) as dbs:
        with RiskDatabase(url=dbs.risk_url).connect(settings.sql_dir) as conn:
            for channel in [args.channel] if args.channel else CHANNELS:
                _, new = Ledger(conn).force(week, tenant, channel, checksum, who)
                progress(f"re-send of {tenant} week {week} {channel} recorded for {who}" if new else
                         f"a re-send of {tenant} week {week} {channel} is already pending: this one joins it")
        tags = {"risk/trigger": "resend", **({ONLY_CHANNEL_TAG: args.channel} if args.channel else {})}
        with dagster_service(settings, progress) as server:
            success, run_id, error = deliver(server, [str(partition_key(week, tenant))], tags, progress)
    if not success:
        print(f"\ndelivery {tenant} {week} (run {run_id}): {error}", file=sys.stderr)
        return EXIT_RUN_FAILED
    return 0


def _any_week(text: str, config: AppConfig):
    """A --week that names a Monday on or after first_week (it may be any week already reported)."""
    from risk_assets.partitions import parse_week

    return parse_week(text, config.tenants, [])


def cmd_db(args: argparse.Namespace, settings: Settings, progress: Progress) -> int:
    from risk_assets.cli.runtime import prepare_embedded_source
    from risk_assets.resource_types import RISK_DATABASE, SOURCE_DATABASE, embedded_server

    server = embedded_server(settings)
    if args.action == "start":
        started = server.start()
        prepare_embedded_source(settings, server.ensure_database(SOURCE_DATABASE))
        server.ensure_database(RISK_DATABASE)
        print("started" if started else "already running", f"({server.data_dir}); stop it with `risk-report db stop`")
        print(f"SOURCE_DATABASE_URL={server.url(SOURCE_DATABASE)}")
        print(f"RISK_DATABASE_URL={server.url(RISK_DATABASE)}")
    elif args.action == "stop":
        print("stopped" if server.stop() else "not running")
    elif args.action == "status":
        print("running" if server.is_running() else "not running", f"({server.data_dir})")
    else:
        if not server.is_running():
            raise UserError("the embedded server is not running; start it with `risk-report db start`")
        database = RISK_DATABASE if args.risk else SOURCE_DATABASE
        print(server.url(database))
    return 0


DEFAULT_UI_PORT = 3000


def _checked_port(text: str) -> int:
    """A TCP port in ASCII digits (str.isdigit() also takes '²', which int() refuses), else ValueError."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise ValueError(f"{text!r} is not a port number: write a port number 1-65535 in ASCII digits")
    return int(text)


def _port_argument(text: str) -> int:
    try:
        return _checked_port(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _ui_port(args: argparse.Namespace) -> int:
    if args.port is not None:
        return args.port
    text = os.environ.get("DAGSTER_PORT", "").strip()
    try:
        return _checked_port(text) if text else DEFAULT_UI_PORT
    except ValueError as exc:
        raise UserError(f"DAGSTER_PORT={exc}, e.g. DAGSTER_PORT={DEFAULT_UI_PORT}, or unset it") from None


def cmd_ui(args: argparse.Namespace, settings: Settings, progress: Progress) -> int:
    from risk_assets.cli.dagster_service import dagster_stack
    from risk_assets.cli.runtime import dagster_home, databases

    port = _ui_port(args)
    _config(settings, progress)
    home = dagster_home(settings)
    with databases(settings, progress), dagster_stack(home, port, None, progress, serves_others=True) as process:
        progress(f"Dagster UI on http://127.0.0.1:{port} (instance {home}); Ctrl-C stops it and the database")
        try:
            return process.wait()
        except KeyboardInterrupt:
            return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="risk-report",
                                     description="Weekly student-risk reports per school (Dagster).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="embedded database + demo data + the latest complete week for every tenant")
    demo.add_argument("--seed", type=int, default=DEMO_SEED, help=f"demo data seed (default {DEMO_SEED})")
    demo.add_argument("--reseed", action="store_true", help="regenerate the demo data even if it is current")
    demo.set_defaults(handler=cmd_demo)

    seed = commands.add_parser("seed-demo", help="(re)load the demo data into the embedded demo database "
                                                 "(no other database is ever written)")
    seed.add_argument("--seed", type=int, default=DEMO_SEED, help=f"demo data seed (default {DEMO_SEED})")
    seed.add_argument("--week", help="last report week of the demo data (a Monday; default: latest complete week)")
    seed.set_defaults(handler=cmd_seed_demo)

    run = commands.add_parser("run", help="materialise one week for the enabled tenants (or --tenant ...)")
    run.add_argument("--week", required=True, help="the Monday that starts the report week, YYYY-MM-DD")
    run.add_argument("--tenant", action="append", metavar="KEY",
                     help="tenant key; repeat for several (default: all enabled)")
    run.set_defaults(handler=cmd_run)

    validate = commands.add_parser("validate", help="check configuration and delivery settings for every enabled "
                                                    "tenant (what a run checks before it starts); starts nothing")
    validate.set_defaults(handler=cmd_validate)

    accuracy = commands.add_parser("accuracy", help="measure detection accuracy on a synthetic tenant with known truth")
    accuracy.add_argument("--students", type=int, default=3000, help="size of the synthetic tenant (default 3000)")
    accuracy.add_argument("--seed", type=int, default=DEMO_SEED, help=f"generator seed (default {DEMO_SEED})")
    accuracy.set_defaults(handler=cmd_accuracy)

    backfill = commands.add_parser("backfill", help="re-run a range of weeks for one tenant: a backfill in runs of up "
                                                    "to batch.size weeks each (tenants.yaml), oldest week first")
    backfill.add_argument("--tenant", required=True, metavar="KEY")
    backfill.add_argument("--from", dest="from_week", required=True, help="first week (a Monday, YYYY-MM-DD)")
    backfill.add_argument("--to", dest="to_week", required=True, help="last week (a Monday, YYYY-MM-DD)")
    backfill.set_defaults(handler=cmd_backfill)

    export = commands.add_parser("export-snapshot",
                                 help="a stored snapshot as the R engine's exchange folder (a file per column)")
    export.add_argument("--week", required=True, help="the Monday that starts the report week, YYYY-MM-DD")
    export.add_argument("--tenant", required=True, metavar="KEY")
    export.add_argument("--to", required=True,
                        help="folder to write tables.json, window.json and the column files into")
    export.set_defaults(handler=cmd_export_snapshot)

    deliveries = commands.add_parser("deliveries", help="list the delivery ledger of a week")
    deliveries.add_argument("--week", required=True, help="the Monday that starts the report week, YYYY-MM-DD")
    deliveries.set_defaults(handler=cmd_deliveries)

    resend = commands.add_parser("resend", help="send a report again, even if it was sent (recorded in the ledger)")
    resend.add_argument("--week", required=True, help="the Monday that starts the report week, YYYY-MM-DD")
    resend.add_argument("--tenant", required=True, metavar="KEY")
    resend.add_argument("--channel", choices=["email", "slack"], help="only this channel (default: both)")
    resend.set_defaults(handler=cmd_resend)

    db = commands.add_parser("db", help="the embedded PostgreSQL server: start | stop | status | url")
    db.add_argument("action", choices=["start", "stop", "status", "url"])
    db.add_argument("--risk", action="store_true", help="with `url`: the pipeline's own database instead of the source")
    db.set_defaults(handler=cmd_db)

    ui = commands.add_parser("ui", help="the Dagster UI (with the embedded database unless URLs are set)")
    ui.add_argument("--port", type=_port_argument, default=None,
                    help=f"the UI's port (default: DAGSTER_PORT, else {DEFAULT_UI_PORT})")
    ui.set_defaults(handler=cmd_ui)
    return parser


def _terminate_cleanly(signum, _frame) -> None:
    # SIGTERM unwinds like Ctrl-C, so context managers stop the embedded server.
    raise SystemExit(128 + signum)


def _quiet_dagster_feature_warnings() -> None:
    """Dagster is pinned exactly; warnings about the beta/preview features we chose only clutter the CLI."""
    from dagster import BetaWarning, PreviewWarning

    warnings.simplefilter("ignore", BetaWarning)
    warnings.simplefilter("ignore", PreviewWarning)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command not in ("db",):
        _quiet_dagster_feature_warnings()
    signal.signal(signal.SIGTERM, _terminate_cleanly)
    try:
        return args.handler(args, Settings.from_env(), Progress())
    except UserError as exc:
        print(f"risk-report: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("risk-report: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
