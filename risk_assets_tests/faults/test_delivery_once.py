"""Exactly once per report content and channel (docs/delivery.md, "The guarantee"): re-running an unchanged week
sends nothing."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

from dagster import DagsterInstance

from risk_assets.snapshot import model
from risk_assets_tests.delivery.conftest import WEEK
from risk_assets_tests.delivery.reports import (
    definitions,
    deliver,
    ledger,
    materialize_partition,
    run_requests,
    tenants,
)


class _AnHourLater(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return dt.datetime.now(tz) + dt.timedelta(hours=1)


def test_a_rerun_of_an_unchanged_week_sends_nothing(env, risk_url, monkeypatch):
    defs = definitions(tenants())
    reports = env / "reports" / WEEK.isoformat()
    with DagsterInstance.ephemeral() as instance:
        _, cursor, _ = run_requests(defs, instance, None)
        materialize_partition(defs, instance, "alpha")
        [first], cursor, _ = run_requests(defs, instance, cursor)
        deliver(defs, instance, first)
        before = json.loads((reports / "alpha_summary.json").read_text(encoding="utf-8"))
        report_before = (reports / "alpha_report.html").read_bytes()
        sent = {path: path.read_bytes() for path in (env / "outbox").rglob("*") if path.is_file()}

        # The same data an hour later: the report shows the new "data as of" time.
        monkeypatch.setattr(model, "dt", SimpleNamespace(datetime=_AnHourLater, timezone=dt.timezone, UTC=dt.UTC))
        materialize_partition(defs, instance, "alpha")
        [second], cursor, _ = run_requests(defs, instance, cursor)
        deliver(defs, instance, second)

        after = json.loads((reports / "alpha_summary.json").read_text(encoding="utf-8"))
        assert after["generated_at"] != before["generated_at"]
        assert (reports / "alpha_report.html").read_bytes() != report_before
        assert after["content_id"] == before["content_id"]
        assert ledger(risk_url) == [("alpha", "email", 0, "sent", "outbox", 1),
                                    ("alpha", "slack", 0, "sent", "outbox", 1)]
        assert {path: path.read_bytes() for path in (env / "outbox").rglob("*") if path.is_file()} == sent


def test_changed_data_is_a_new_delivery(env, risk_url, source_conn):
    defs = definitions(tenants())
    reports = env / "reports" / WEEK.isoformat()
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(defs, instance, "alpha")
        before = json.loads((reports / "alpha_summary.json").read_text(encoding="utf-8"))["content_id"]
        with source_conn.cursor() as cur:
            cur.execute("UPDATE students SET display_name = display_name || ' (정정)' WHERE org_id = 601")
        source_conn.commit()
        materialize_partition(defs, instance, "alpha")
        after = json.loads((reports / "alpha_summary.json").read_text(encoding="utf-8"))["content_id"]
    assert after != before
