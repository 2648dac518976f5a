"""`risk-report demo` and `seed-demo`: demo data in the source database, then the weekly pipeline on it."""

from __future__ import annotations

import datetime as dt
import time

from risk_assets.config import AppConfig
from risk_assets.database.connection import connection
from risk_assets.database.demo_marker import require_demo_database
from risk_assets.demo import DemoTenant, generate_demo, load_dataset
from risk_assets.errors import UserError
from risk_assets.settings import Settings


def refuse_unless_demo_allowed(settings: Settings) -> None:
    """Before anything starts: the demo commands write only into a database the product created for the demo
    (risk_assets/database/demo_marker.py), and never in production."""
    if settings.deployment == "production":
        raise UserError("the demo commands (demo, seed-demo) do not run with RISK_DEPLOYMENT=production: they replace "
                        "source data with generated schools. Unset RISK_DEPLOYMENT to try the demo on the embedded "
                        "server; `risk-report run` reports on the real source")
    if settings.source_database_url:
        require_demo_database(settings.source_database_url)


def demo_tenants(config: AppConfig) -> list[DemoTenant]:
    return [DemoTenant(org_id=t.org_id, name=t.name, timezone=t.timezone, locale=t.locale)
            for t in config.tenants.tenants]


def seeded_through(source_url: str, org_ids: list[int]) -> dt.date | None:
    """Last school day of demo data in the source, or None when the demo tenants have none."""
    with connection(source_url, purpose="source database") as conn, conn.cursor() as cur:
        cur.execute("SELECT max(school_date) FROM school_days WHERE org_id = ANY(%s)", (org_ids,))
        return cur.fetchone()[0]


def seed(settings: Settings, config: AppConfig, source_url: str, last_week: dt.date, seed_value: int,
         progress=print) -> None:
    require_demo_database(source_url)
    tenants = demo_tenants(config)
    started = time.monotonic()
    progress(f"generating demo data: {len(tenants)} tenants, 6 weeks ending with the week of {last_week} "
             f"(seed {seed_value})")
    dataset = generate_demo(tenants, last_week, seed=seed_value)
    progress(f"  generated in {time.monotonic() - started:.1f} s; loading with COPY")
    with connection(source_url, purpose="source database") as conn:
        counts = load_dataset(conn, dataset)
    progress("  loaded " + ", ".join(f"{n:,} {table}" for table, n in counts.items()))
    truth = settings.demo_dir / "ground_truth.csv"
    truth.parent.mkdir(parents=True, exist_ok=True)
    dataset.write_ground_truth(truth)
    progress(f"  ground truth of the scripted students: {truth}")


def needs_seeding(source_url: str, config: AppConfig, last_week: dt.date) -> tuple[bool, str]:
    through = seeded_through(source_url, [t.org_id for t in config.tenants.tenants])
    if through is None:
        return True, "no demo data yet"
    if through < last_week:
        return True, f"demo data ends on {through}, before the latest complete week {last_week}: regenerating"
    return False, f"re-using the demo data already loaded (through {through})"
