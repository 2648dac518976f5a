"""One policy for files holding student data: 0600, whoever wrote them
(docs/deploy.md, "Files with student data")."""

from __future__ import annotations

import stat

from dagster import DagsterInstance

from risk_assets_tests.delivery.reports import definitions, deliver, materialize_partition, run_requests, tenants


def test_every_file_with_student_data_is_private_to_the_pipeline_user(env):
    defs = definitions(tenants())
    with DagsterInstance.ephemeral() as instance:
        _, cursor, _ = run_requests(defs, instance, None)
        materialize_partition(defs, instance, "alpha")
        [request], _, _ = run_requests(defs, instance, cursor)
        deliver(defs, instance, request)

    files = [path for folder in ("data/snapshots", "data/metrics", "reports", "outbox")
             for path in (env / folder).rglob("*") if path.is_file()]
    kinds = {path.suffix for path in files}
    assert {".parquet", ".json", ".csv", ".html", ".eml"} <= kinds, kinds
    loose = {str(path.relative_to(env)): oct(stat.S_IMODE(path.stat().st_mode))
             for path in files if stat.S_IMODE(path.stat().st_mode) & 0o077}
    assert loose == {}
