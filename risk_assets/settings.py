"""Where things live: paths and database URLs, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict

from risk_assets.errors import UserError

PROJECT_DIR = Path(__file__).resolve().parent.parent
# How reports are rendered (tenants.yaml report.renderer, RISK_REPORT_RENDERER; risk_assets/rendering/choice.py).
ReportRenderer = Literal["auto", "quarto", "builtin"]
REPORT_RENDERERS: tuple[ReportRenderer, ...] = get_args(ReportRenderer)
DEFAULT_REPORT_TEMPLATE = PROJECT_DIR / "quarto" / "weekly_report.qmd"
# Where a run's steps execute (RISK_EXECUTOR): in the run's own process, or on Celery workers (docs/scale.md).
Executor = Literal["in_process", "celery"]
EXECUTORS: tuple[Executor, ...] = get_args(Executor)
CELERY_VARIABLES = ("RISK_CELERY_BROKER", "RISK_CELERY_BACKEND")
# RISK_DEPLOYMENT: the embedded server and the outbox, or every URL from the environment (docs/deploy.md).
Deployment = Literal["local", "production"]
DEPLOYMENTS: tuple[Deployment, ...] = get_args(Deployment)
_Option = TypeVar("_Option", bound=str)


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    if not value:
        return default
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path)


class Settings(BaseModel):
    """Environment-derived settings; relative defaults are resolved against the project folder."""

    model_config = ConfigDict(frozen=True)

    config_dir: Path
    data_dir: Path
    reports_dir: Path
    outbox_dir: Path
    sql_dir: Path
    source_database_url: str | None = None
    risk_database_url: str | None = None
    deployment: Deployment = "local"
    # RISK_REPORT_RENDERER: overrides tenants.yaml's report.renderer (auto | quarto | builtin).
    report_renderer: ReportRenderer | None = None
    executor: Executor = "in_process"
    # RISK_BATCH_SIZE: overrides tenants.yaml's batch.size (partitions per run of a backfill).
    batch_size: int | None = None

    @property
    def embedded_dir(self) -> Path:
        return self.data_dir / "pg"

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            config_dir=_path(env, "RISK_CONFIG_DIR", PROJECT_DIR / "config"),
            data_dir=_path(env, "RISK_DATA_DIR", PROJECT_DIR / ".data"),
            reports_dir=_path(env, "RISK_REPORTS_DIR", PROJECT_DIR / "reports"),
            outbox_dir=_path(env, "RISK_OUTBOX_DIR", PROJECT_DIR / "outbox"),
            sql_dir=_path(env, "RISK_SQL_DIR", PROJECT_DIR / "sql"),
            source_database_url=env.get("SOURCE_DATABASE_URL") or None,
            risk_database_url=env.get("RISK_DATABASE_URL") or None,
            deployment=_deployment(env),
            report_renderer=_report_renderer(env),
            executor=_executor(env),
            batch_size=_batch_size(env),
        )


def check_production_databases(deployment: str, env: Mapping[str, str]) -> None:
    """`production` never falls back to the embedded server: both database URLs must be exported."""
    missing = [name for name in ("SOURCE_DATABASE_URL", "RISK_DATABASE_URL") if not env.get(name, "").strip()]
    if deployment == "production" and missing:
        raise UserError(f"RISK_DEPLOYMENT=production needs {' and '.join(missing)}: export "
                        "postgresql+psycopg2://user:password@host:5432/db URLs (docs/deploy.md)")


def _one_of(value: str, options: tuple[_Option, ...]) -> _Option | None:
    """`value` as the option it spells, None when it is none of them."""
    return next((option for option in options if option == value), None)


def _deployment(env: Mapping[str, str]) -> Deployment:
    value = (env.get("RISK_DEPLOYMENT") or "local").strip().lower()
    deployment = _one_of(value, DEPLOYMENTS)
    if deployment is None:
        raise UserError(f"RISK_DEPLOYMENT={value!r} is not local or production: unset it for the embedded server "
                        "and the outbox, or write RISK_DEPLOYMENT=production (every URL from the environment)")
    return deployment


def _report_renderer(env: Mapping[str, str]) -> ReportRenderer | None:
    value = (env.get("RISK_REPORT_RENDERER") or "").strip().lower()
    if not value:
        return None
    renderer = _one_of(value, REPORT_RENDERERS)
    if renderer is None:
        raise UserError(f"RISK_REPORT_RENDERER={value!r} is not auto, quarto or builtin: unset it to use "
                        "tenants.yaml's report.renderer (default auto)")
    return renderer


DEFAULT_BATCH_SIZE = 50  # tenants.yaml's batch.size when it is not set
MAX_BATCH_SIZE = 1000  # a run's events are written when its batch ends; larger batches make the UI wait


def _batch_size(env: Mapping[str, str]) -> int | None:
    text = (env.get("RISK_BATCH_SIZE") or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_BATCH_SIZE:
        raise UserError(f"RISK_BATCH_SIZE={text!r} is not a whole number from 1 to {MAX_BATCH_SIZE}: unset it to use "
                        f"tenants.yaml's batch.size (default {DEFAULT_BATCH_SIZE}), or write e.g. RISK_BATCH_SIZE=20")
    return int(text)


def _executor(env: Mapping[str, str]) -> Executor:
    value = (env.get("RISK_EXECUTOR") or "in_process").strip().lower().replace("-", "_")
    executor = _one_of(value, EXECUTORS)
    if executor is None:
        raise UserError(f"RISK_EXECUTOR={value!r} is not in_process or celery: unset it to run each partition's "
                        "steps in its run's process, or write RISK_EXECUTOR=celery (docs/scale.md)")
    missing = [name for name in CELERY_VARIABLES if not env.get(name)]
    if executor == "celery" and missing:
        raise UserError(f"RISK_EXECUTOR=celery needs {' and '.join(missing)}: the Redis URLs the Celery workers use, "
                        "e.g. RISK_CELERY_BROKER=redis://redis:6379/0 RISK_CELERY_BACKEND=redis://redis:6379/1 "
                        "(deploy/celery/celery.yaml, docs/scale.md)")
    return executor
