"""Where things live: paths and database URLs, read once from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Mapping, Optional, get_args

from pydantic import BaseModel, ConfigDict

from risk_assets.errors import UserError

PROJECT_DIR = Path(__file__).resolve().parent.parent
# How reports are rendered (tenants.yaml report.renderer, RISK_REPORT_RENDERER; risk_assets/rendering/choice.py).
ReportRenderer = Literal["auto", "quarto", "builtin"]
REPORT_RENDERERS: tuple[str, ...] = get_args(ReportRenderer)
DEFAULT_REPORT_TEMPLATE = PROJECT_DIR / "quarto" / "weekly_report.qmd"


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
    source_database_url: Optional[str] = None
    risk_database_url: Optional[str] = None
    deployment: Literal["local", "production"] = "local"
    # RISK_REPORT_RENDERER: overrides tenants.yaml's report.renderer (auto | quarto | builtin).
    report_renderer: Optional[ReportRenderer] = None

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
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
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
        )


def _deployment(env: Mapping[str, str]) -> str:
    value = (env.get("RISK_DEPLOYMENT") or "local").strip().lower()
    if value not in ("local", "production"):
        raise UserError(f"RISK_DEPLOYMENT={value!r} is not local or production: unset it for the embedded server "
                        "and the outbox, or write RISK_DEPLOYMENT=production (every URL from the environment)")
    return value


def _report_renderer(env: Mapping[str, str]) -> Optional[str]:
    value = (env.get("RISK_REPORT_RENDERER") or "").strip().lower()
    if value and value not in REPORT_RENDERERS:
        raise UserError(f"RISK_REPORT_RENDERER={value!r} is not auto, quarto or builtin: unset it to use "
                        "tenants.yaml's report.renderer (default auto)")
    return value or None
