"""The weekly report's sections: the figures each section shows, handed to its Jinja2 template
(`quarto/templates/<section>.html.j2`); quarto/weekly_report.qmd prints them in order.

Every value is escaped by the templates' autoescape, so a student named `<script>` is shown as text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from markupsafe import Markup

from risk_assets.metrics.student_table import read_students_csv
from risk_assets.report import charts
from risk_assets.report.brand import ReportBrand, load_brand
from risk_assets.report.fragments import (
    TEMPLATES_FOLDER,
    raw_html_block,
    render_fragment,
)
from risk_assets.report.reasons import Explanation, annotation_texts, explain, signed
from risk_assets.report.strings import STRINGS
from risk_assets.summary.trajectories import reading as trajectory_reading
from risk_assets.vocabulary import (
    ALL_DOMAINS,
    ENGAGEMENT,
    LEVEL_INSUFFICIENT,
    LEVELS,
    OK,
    REPORT_LEVELS,
    STATUSES,
    active_domains,
)
from risk_assets.vocabulary import FLAGGED_LEVELS as FLAGGED

_LEVEL_CSS = dict(zip(REPORT_LEVELS, ("crit", "warn", "ok", "ok", "insufficient"), strict=True))
_TEXT_COLUMNS = ["display_name", "class_name", "reason_codes"]


class WeeklyReport:
    def __init__(self, summary: Mapping, students: pd.DataFrame, brand: ReportBrand, templates: Path):
        self.summary = summary
        self.students = students
        self.brand = brand
        self.templates = templates
        self.words = STRINGS[summary["locale"]]
        self.new_ids = set(summary.get("new_student_ids") or [])

    @classmethod
    def load(cls, summary_path: str | Path, students_path: str | Path, brand_dir: str | Path) -> WeeklyReport:
        """`brand_dir` is the template folder: its `_brand.yml` and its `templates/`."""
        summary = json.loads(Path(summary_path).read_text(encoding="utf-8"))
        students = read_students_csv(Path(students_path))
        students[_TEXT_COLUMNS] = students[_TEXT_COLUMNS].fillna("")
        folder = Path(brand_dir)
        return cls(summary, students, load_brand(folder), folder / TEMPLATES_FOLDER)

    def _fragment(self, name: str, **context) -> str:
        html = render_fragment(self.templates, name, words=self.words, summary=self.summary, brand=self.brand,
                               **context)
        return raw_html_block(html)

    # -- sections --------------------------------------------------------------------------------

    def head(self) -> str:
        s = self.summary
        generated = dt.datetime.fromisoformat(s["generated_at"]).astimezone(ZoneInfo(s["timezone"]))
        return self._fragment("header.html.j2", generated=f"{generated:%Y-%m-%d %H:%M %Z}")

    def kpis(self) -> str:
        levels, total = self.summary["levels"], self.summary["total_students"]
        change = self.summary["week_over_week"].get("level_change", {})
        cards = [{"level": level, "css": _LEVEL_CSS[level], "count": levels[level]["count"],
                  "pct": levels[level]["pct"], "change": self._change(change.get(level))} for level in REPORT_LEVELS]
        return self._fragment("kpis.html.j2", total_students=f"{int(total):,}", cards=cards,
                              all_insufficient=bool(total) and levels[LEVEL_INSUFFICIENT]["count"] == total)

    def _change(self, delta: int | None) -> str | None:
        if delta is None:
            return None
        sign = "+" if delta > 0 else ("\u2212" if delta < 0 else "±")
        return self.words["change_vs_last_week"].format(sign=sign, n=abs(delta))

    def week_over_week(self) -> str:
        return self._fragment("week_over_week.html.j2", wow=self.summary["week_over_week"])

    def domain_chart(self) -> str:
        w, domains = self.words, self.summary["domains"]
        total = self.summary["total_students"]
        rows = []
        for domain in (d for d in ALL_DOMAINS if d in domains):  # ENGAGEMENT only when it was on
            counts = dict(domains[domain])
            counts[OK] = total - sum(counts.values())
            rows.append((w["domains"][domain], counts))
        chart = charts.stacked_bars(rows, w["statuses"], {s: self.brand.colours[s] for s in STATUSES},
                                    w["domains_title"])
        return self._fragment("domains.html.j2", chart=Markup(chart))  # charts.py escapes every label

    def delta_chart(self) -> str:
        spread = self.summary["delta_theta_14d"]
        if not spread["n"]:
            return self._fragment("delta.html.j2", chart=None, spread_text=None)
        values = self.students["delta_14d"].dropna().to_numpy(dtype=float)
        chart = charts.histogram(values, spread["median"], self.words["delta_title"], self.brand.colours["primary"],
                                 self.brand.colours[FLAGGED[0]])
        text = self.words["delta_summary"].format(median=signed(spread["median"], 2), q1=signed(spread["q1"], 2),
                                                  q3=signed(spread["q3"], 2), n=spread["n"])
        return self._fragment("delta.html.j2", chart=Markup(chart), spread_text=text)

    def at_risk_table(self) -> str:
        rows = [self._risk_row(row) for row in _records(self._flagged_in_default_order())]
        weeks = self._trajectories["weeks"]
        stored = sum(self._trajectories["stored_weeks"])
        return self._fragment("at_risk.html.j2", rows=rows, weeks=len(weeks),
                              stored_note=self.words["trajectory_stored"].format(stored=stored, n=len(weeks))
                              if stored < len(weeks) else None)

    def classes(self) -> str:
        return self._fragment("classes.html.j2", levels=LEVELS, classes=self.summary["classes"])

    def data_quality(self) -> str:
        issues = sorted((k, v) for k, v in self.summary["data_quality"].items() if v)
        return self._fragment("data_quality.html.j2", issues=issues)

    def methodology(self) -> str:
        rows = []
        for section, values in self.summary["thresholds"].items():
            if isinstance(values, Mapping):
                rows += [(f"{section}.{key}", value) for key, value in values.items()]
            else:
                rows.append((section, values))
        overrides = self.summary.get("threshold_overrides", {})
        return self._fragment("methodology.html.j2", thresholds=rows, overrides=overrides,
                              engagement_on=ENGAGEMENT in self.summary["domains"])

    # -- helpers ---------------------------------------------------------------------------------

    def _flagged_in_default_order(self) -> pd.DataFrame:
        """Level, new this week first, number of flagged domains, then the most extreme evidence; `_level` and
        `_domains` added. Sorted with numpy: pandas' per-call overhead was a fifth of a report's time."""
        students = self.students
        flagged = students.loc[students["level"].isin(FLAGGED)]
        level = flagged["level"].map({level: rank for rank, level in enumerate(FLAGGED)}).to_numpy()
        old = (~flagged["student_id"].isin(self.new_ids)).to_numpy()
        statuses = [f"{d}_status" for d in active_domains(students)]
        domains = flagged[statuses].isin(FLAGGED).to_numpy().sum(axis=1)
        evidence = self._evidence(flagged)
        order = np.lexsort((flagged["student_id"].to_numpy(), -evidence, -domains, old, level))  # last key first
        return flagged.iloc[order].assign(_level=level[order], _domains=domains[order])

    def _evidence(self, frame: pd.DataFrame) -> np.ndarray:
        """How far the strongest measure goes past its CRIT threshold (1.0 = exactly at it; 0.0 when no measure has
        a value). Plain arrays: the same arithmetic through pandas took 3 ms of a 300-student report."""
        t = self.summary["thresholds"]

        def values(column: str) -> np.ndarray:
            return frame[column].to_numpy(dtype=float, na_value=np.nan)

        scheduled = values("sched_2wk")
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios = np.vstack([
                values("delta_7d") / t["theta"]["delta_7d_crit"],
                values("delta_14d") / t["theta"]["delta_14d_crit"],
                values("omit_rate") * 100 / t["omit"]["crit_pct"],
                values("c_hat") / t["guess"]["crit"],
                values("absent_2wk") / np.where(scheduled > 0, scheduled, np.nan) * 100
                / t["attendance"]["two_week_crit_pct"],
                values("max_streak") / t["attendance"]["streak_crit_days"],
                values("rg_rate") * 100 / t["engagement"]["crit_pct"],  # NaN while the domain is off
            ])
        strongest = np.fmax.reduce(ratios, axis=0)  # the largest value of each student, NaN only when all are
        return np.where(np.isnan(strongest), 0.0, strongest)

    @property
    def _trajectories(self) -> Mapping:
        """summary.json's trajectories (a summary written before they existed: this week alone)."""
        return self.summary.get("trajectories") or {"weeks": [self.summary["week"]], "stored_weeks": [True],
                                                    "students": {}}

    def _trajectory(self, student_id: int) -> tuple[Markup, str | None]:
        weeks = self._trajectories["weeks"]
        points = self._trajectories["students"].get(str(student_id)) or [None] * len(weeks)
        w = self.words
        title = "; ".join(
            w["trajectory_missing"].format(week=week) if point is None else w["trajectory_week"].format(
                week=week, level=w["levels"][point[0]], theta=signed(point[1], 2))
            for week, point in zip(weeks, points))
        colours = {**self.brand.colours, "line": self.brand.colours["primary"], "band": "#c8d3df"}
        reading = trajectory_reading(points, self._trajectories["stored_weeks"])
        return Markup(charts.trajectory(points, colours, title)), w["readings"][reading] if reading else None

    def _risk_row(self, row: Mapping) -> RiskRow:
        trajectory, reading = self._trajectory(int(row["student_id"]))
        return RiskRow(
            trajectory=trajectory, reading=reading,
            student_id=int(row["student_id"]), display_name=row["display_name"], class_name=row["class_name"],
            level=row["level"], rank=row["_level"], new=row["student_id"] in self.new_ids, domains=row["_domains"],
            reasons=explain(row, self.summary["thresholds"], self.words["reasons"]),
            notes=annotation_texts(row, self.words["annotations"]),
        )


def _records(frame: pd.DataFrame) -> list[dict]:
    """The rows as dicts, as `DataFrame.to_dict("records")` gives them, in a fifth of its time."""
    columns = list(frame.columns)
    return [dict(zip(columns, values)) for values in zip(*(frame[column].tolist() for column in columns))]


@dataclass(frozen=True, slots=True)
class RiskRow:
    """One row of the at-risk table (templates/at_risk.html.j2). Attributes, not a dict: the template reads about
    fifteen of them per student, and Jinja finds an attribute at once where a key costs it a failed lookup first."""

    trajectory: Markup
    reading: str | None
    student_id: int
    display_name: str
    class_name: str
    level: str
    rank: int
    new: bool
    domains: int
    reasons: list[Explanation]
    notes: list[str]
