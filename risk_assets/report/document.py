"""The weekly report's sections as HTML fragments; quarto/weekly_report.qmd prints them in order.

Everything that comes from data is escaped here, so a student named `<script>` is shown as text.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import yaml

from risk_assets.report import charts
from risk_assets.report.assets import head_html
from risk_assets.report.reasons import explain, signed
from risk_assets.report.strings import STRINGS
from risk_assets.vocabulary import (
    DOMAINS,
    LEVEL_INSUFFICIENT,
    LEVELS,
    REPORT_LEVELS,
    STATUSES,
)
from risk_assets.vocabulary import FLAGGED_LEVELS as FLAGGED

DEFAULT_COLOURS = {"primary": "#1f3a5f", "crit": "#b03a2e", "warn": "#b9770e", "ok": "#1e8449",
                   "insufficient": "#7f8c8d"}


@dataclass(frozen=True)
class Brand:
    colours: Mapping[str, str]
    logo_data_uri: str | None

    @classmethod
    def load(cls, brand_dir: Path) -> "Brand":
        """Colours and logo from quarto/_brand.yml (Quarto's brand file), inlined as a data URI."""
        path = brand_dir / "_brand.yml"
        brand = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        colour = brand.get("color", {})
        palette = colour.get("palette", {})
        colours = {key: palette.get(colour.get(key, key), colour.get(key, default)) if key in colour
                   else palette.get(key, default) for key, default in DEFAULT_COLOURS.items()}
        logo = brand.get("logo", {})
        logo_file = brand_dir / (logo.get("small") if isinstance(logo, dict) else logo) if logo else None
        data_uri = None
        if logo_file and logo_file.exists():
            encoded = base64.b64encode(logo_file.read_bytes()).decode("ascii")
            data_uri = f"data:image/svg+xml;base64,{encoded}"
        return cls(colours, data_uri)


def _section(html: str) -> str:
    return f'<div class="risk-report">{html}</div>'


def _fmt_int(value) -> str:
    return f"{int(value):,}"


class WeeklyReport:
    def __init__(self, summary: Mapping, students: pd.DataFrame, brand: Brand):
        self.summary = summary
        self.students = students
        self.brand = brand
        self.words = STRINGS[summary["locale"]]
        self.new_ids = set(summary.get("new_student_ids") or [])

    @classmethod
    def load(cls, summary_path: str | Path, students_path: str | Path, brand_dir: str | Path) -> "WeeklyReport":
        summary = json.loads(Path(summary_path).read_text(encoding="utf-8"))
        # Only an empty cell is NULL: a student really named "NA" or "null" keeps the name.
        students = pd.read_csv(students_path, keep_default_na=False, na_values=[""],
                               dtype={"display_name": str, "class_name": str, "reason_codes": str})
        students[["display_name", "class_name", "reason_codes"]] = (
            students[["display_name", "class_name", "reason_codes"]].fillna(""))
        return cls(summary, students, Brand.load(Path(brand_dir)))

    # -- sections --------------------------------------------------------------------------------

    def head(self) -> str:
        w, s = self.words, self.summary
        generated = dt.datetime.fromisoformat(s["generated_at"]).astimezone(ZoneInfo(s["timezone"]))
        logo = f'<img src="{self.brand.logo_data_uri}" alt="">' if self.brand.logo_data_uri else ""
        return (
            head_html(self.brand.colours)
            + _section(
                f'<header class="report-header">{logo}<div>'
                f"<h1>{escape(s['org_name'])} · {escape(w['title'])}</h1><dl>"
                f"<dt>{escape(w['week'])}</dt><dd>{s['week']} – {s['week_end']} ({escape(s['timezone'])})</dd>"
                f"<dt>{escape(w['generated'])}</dt><dd>{generated:%Y-%m-%d %H:%M %Z}</dd>"
                f"<dt>{escape(w['profile'])}</dt><dd>{escape(w['profile_names'].get(s['profile'], s['profile']))}</dd>"
                "</dl></div></header>"
            )
        )

    def kpis(self) -> str:
        w, levels = self.words, self.summary["levels"]
        change = self.summary["week_over_week"].get("level_change", {})
        cards = [f'<div class="kpi"><div class="value">{_fmt_int(self.summary["total_students"])}</div>'
                 f'<div class="label">{escape(w["students"])}</div></div>']
        for level, css in zip(REPORT_LEVELS, ("crit", "warn", "ok", "ok", "insufficient"), strict=True):
            delta = change.get(level)
            delta_html = ""
            if delta is not None:
                sign = "+" if delta > 0 else ("\u2212" if delta < 0 else "±")
                delta_html = f'<div class="change">{escape(w["change_vs_last_week"].format(sign=sign, n=abs(delta)))}</div>'
            cards.append(
                f'<div class="kpi {css}" data-level="{level}"><div class="value">{levels[level]["count"]}</div>'
                f'<div class="label">{escape(w["levels"][level])} · {levels[level]["pct"]}%</div>{delta_html}</div>'
            )
        notice = ""
        if self.summary["total_students"] and levels[LEVEL_INSUFFICIENT]["count"] == self.summary["total_students"]:
            notice = f'<p class="notice" id="all-insufficient">{escape(w["all_insufficient"])}</p>'
        return _section(f'<div class="kpis">{"".join(cards)}</div>{notice}')

    def week_over_week(self) -> str:
        w, wow = self.words, self.summary["week_over_week"]
        if not wow["available"]:
            return _section(f'<h2>{escape(w["wow_title"])}</h2>'
                            f'<p class="muted" id="wow-unavailable">{escape(w["wow_unavailable"])}</p>')
        persistent = wow["persistent"] if wow.get("persistent_available") else w["not_available"]
        items = [(w["new"], wow["new_warn_or_crit"]), (w["resolved"], wow["resolved"]), (w["persistent"], persistent)]
        cards = "".join(f'<div class="kpi"><div class="value">{escape(str(v))}</div>'
                        f'<div class="label">{escape(label)}</div></div>' for label, v in items)
        return _section(f'<h2>{escape(w["wow_title"])}</h2><div class="kpis" id="wow">{cards}</div>')

    def domain_chart(self) -> str:
        w, domains = self.words, self.summary["domains"]
        total = self.summary["total_students"]
        rows = []
        for domain in DOMAINS:
            counts = dict(domains[domain])
            counts["OK"] = total - sum(counts.values())
            rows.append((w["domains"][domain], counts))
        colours = {status: self.brand.colours[status.lower()] for status in STATUSES}
        chart = charts.stacked_bars(rows, w["statuses"], colours, w["domains_title"])
        return _section(f'<h2>{escape(w["domains_title"])}</h2>{chart}')

    def delta_chart(self) -> str:
        w, spread = self.words, self.summary["delta_theta_14d"]
        title = f'<h2>{escape(w["delta_title"])}</h2>'
        if not spread["n"]:
            return _section(f'{title}<p class="muted">{escape(w["delta_none"])}</p>')
        values = self.students["delta_14d"].dropna().to_numpy(dtype=float)
        chart = charts.histogram(values, spread["median"], w["delta_title"], self.brand.colours["primary"],
                                 self.brand.colours["crit"])
        text = w["delta_summary"].format(median=signed(spread["median"], 2), q1=signed(spread["q1"], 2),
                                         q3=signed(spread["q3"], 2), n=spread["n"])
        return _section(f'{title}{chart}<p class="muted">{escape(text)}</p>')

    def at_risk_table(self) -> str:
        w = self.words
        flagged = self._flagged_in_default_order()
        title = f'<h2>{escape(w["table_title"])}</h2>'
        if flagged.empty:
            return _section(f'{title}<p class="muted" id="no-flagged">{escape(w["no_flagged"])}</p>')
        body = "".join(self._risk_row(row, rank) for rank, row in enumerate(flagged.to_dict("records")))
        return _section(
            f'{title}<div class="search"><input id="risk-search" type="search" '
            f'placeholder="{escape(w["search"])}" aria-label="{escape(w["search"])}">'
            f'<span id="risk-count" data-template="{escape(w["shown"])}">'
            f'{escape(w["shown"].format(n=len(flagged)))}</span></div>'
            '<table class="data sortable" id="risk-table"><thead><tr>'
            f'<th data-sort="number" class="num">#</th><th data-sort="text">{escape(w["col_student"])}</th>'
            f'<th data-sort="text">{escape(w["col_class"])}</th><th data-sort="number">{escape(w["col_level"])}</th>'
            f'<th data-sort="number">{escape(w["col_new"])}</th><th data-sort="number" class="num">'
            f'{escape(w["col_domains"])}</th><th>{escape(w["col_reasons"])}</th></tr></thead>'
            f"<tbody>{body}</tbody></table>"
        )

    def classes(self) -> str:
        w = self.words
        header = "".join(f"<th class=\"num\">{escape(label)}</th>" for label in (
            w["students"], *(w["levels"][level] for level in LEVELS)))
        rows = "".join(
            f'<tr><td>{escape(c["class_name"])}</td>'
            + "".join(f'<td class="num">{escape(str(c[k]))}</td>' for k in ("students", "crit", "warn", "ok", "insufficient"))
            + "</tr>" for c in self.summary["classes"])
        return _section(f'<h2>{escape(w["classes_title"])}</h2><table class="data" id="classes"><thead><tr>'
                        f'<th>{escape(w["col_class"])}</th>{header}</tr></thead><tbody>{rows}</tbody></table>'
                        f'<p class="muted">{escape(w["classes_note"])}</p>')

    def data_quality(self) -> str:
        w = self.words
        issues = {k: v for k, v in self.summary["data_quality"].items() if v}
        title = f'<h2>{escape(w["quality_title"])}</h2>'
        if not issues:
            return _section(f'{title}<p class="muted">{escape(w["quality_none"])}</p>')
        items = "".join(f"<li>{escape(w['quality'].get(k, k))}: {v:,}</li>" for k, v in sorted(issues.items()))
        return _section(f'{title}<ul id="quality">{items}</ul>')

    def methodology(self) -> str:
        w, s = self.words, self.summary
        rows = []
        for section, values in s["thresholds"].items():
            if isinstance(values, Mapping):
                rows += [(f"{section}.{key}", value) for key, value in values.items()]
            else:
                rows.append((section, values))
        body = "".join(f"<tr><td><code>{escape(k)}</code></td><td>{escape(str(v))}</td></tr>" for k, v in rows)
        return _section(f'<h2>{escape(w["method_title"])}</h2><p>{escape(w["method_intro"])}</p>'
                        f'<p class="muted">{escape(w["spec_version"])}: {escape(s["spec_version"])} · '
                        f'{escape(w["profile"])}: {escape(s["profile"])}</p>'
                        f'<table class="data" id="thresholds"><thead><tr><th>{escape(w["method_key"])}</th>'
                        f'<th>{escape(w["method_value"])}</th></tr></thead><tbody>{body}</tbody></table>')

    # -- helpers ---------------------------------------------------------------------------------

    def _flagged_in_default_order(self) -> pd.DataFrame:
        """Level, new this week first, number of flagged domains, then the most extreme evidence."""
        flagged = self.students.loc[self.students["level"].isin(FLAGGED)].copy()
        flagged["_level"] = flagged["level"].map({level: rank for rank, level in enumerate(FLAGGED)})
        flagged["_new"] = (~flagged["student_id"].isin(self.new_ids)).astype(int)
        flagged["_domains"] = flagged[[f"{d}_status" for d in DOMAINS]].isin(FLAGGED).sum(axis=1)
        flagged["_evidence"] = self._evidence(flagged)
        return flagged.sort_values(["_level", "_new", "_domains", "_evidence", "student_id"],
                                   ascending=[True, True, False, False, True])

    def _evidence(self, frame: pd.DataFrame) -> pd.Series:
        """How far the strongest measure goes past its CRIT threshold (1.0 = exactly at it)."""
        t = self.summary["thresholds"]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios = pd.concat([
                frame["delta_7d"] / t["theta"]["delta_7d_crit"],
                frame["delta_14d"] / t["theta"]["delta_14d_crit"],
                frame["omit_rate"] * 100 / t["omit"]["crit_pct"],
                frame["c_hat"] / t["guess"]["crit"],
                frame["absent_2wk"] / frame["sched_2wk"].where(frame["sched_2wk"] > 0) * 100 / t["attendance"]["two_week_crit_pct"],
                frame["max_streak"] / t["attendance"]["streak_crit_days"],
            ], axis=1)
        return ratios.max(axis=1, skipna=True).fillna(0.0)

    def _risk_row(self, row: Mapping, rank: int) -> str:
        w = self.words
        reasons = explain(row, self.summary["thresholds"], w["reasons"])
        items = "".join(
            f'<li class="unreliable" data-note="{escape(w["unreliable"])}">{escape(r.text)}</li>' if r.unreliable
            else f"<li>{escape(r.text)}</li>" for r in reasons)
        is_new = row["student_id"] in self.new_ids
        new = f'<span class="badge new">{escape(w["new_badge"])}</span>' if is_new else ""
        return (
            f'<tr data-student="{int(row["student_id"])}"><td class="num" data-value="{rank}">{rank + 1}</td>'
            f'<td>{escape(row["display_name"])}</td><td>{escape(row["class_name"])}</td>'
            f'<td data-value="{row["_level"]}"><span class="badge {row["level"]}">{escape(w["levels"][row["level"]])}</span></td>'
            f'<td data-value="{0 if is_new else 1}">{new}</td><td class="num">{row["_domains"]}</td>'
            f'<td><ul class="reasons">{items}</ul></td></tr>'
        )
