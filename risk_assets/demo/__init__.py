"""Deterministic demo data for the risk_assets source database.

    from risk_assets.demo import DEFAULT_DEMO_TENANTS, generate_demo, load_dataset
    dataset = generate_demo(DEFAULT_DEMO_TENANTS, datetime.date(2026, 11, 16))
    load_dataset(conn, dataset)          # COPY into a database with sql/source_schema.sql
    dataset.write_ground_truth("truth.csv")

Modules: tenants (DemoTenant), school_calendar (history, school days, holidays), items
(item bank), names and roster (students), groups (scripted groups, latent traits),
attendance, irt (3PL, EAP), simulate (daily practice), dirty (injected bad rows), truth
(ground truth), dataset (generate_demo), load (COPY into PostgreSQL), schema, rng.
"""

from .dataset import GENERATOR_VERSION, DemoDataset, generate_demo
from .load import load_dataset
from .schema import SOURCE_COLUMNS, SOURCE_TABLES
from .tenants import DEFAULT_DEMO_TENANTS, DemoTenant

__all__ = [
    "DEFAULT_DEMO_TENANTS",
    "GENERATOR_VERSION",
    "SOURCE_COLUMNS",
    "SOURCE_TABLES",
    "DemoDataset",
    "DemoTenant",
    "generate_demo",
    "load_dataset",
]
