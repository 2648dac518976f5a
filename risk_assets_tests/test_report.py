"""The weekly report end to end: demo tenants through the whole job, then the HTML in headless Chromium.

Also: names that look like markup stay text, tenants never see each other's students, reports stay small.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from html import unescape
from pathlib import Path

import psycopg2
import pytest
from dagster import AssetKey, DagsterInstance

from risk_assets.config import load_config
from risk_assets.definitions import definitions_for
from risk_assets.defs.weekly.job import WEEKLY_JOB
from risk_assets.demo import DEFAULT_DEMO_TENANTS, generate_demo, load_dataset
from risk_assets.partitions import partition_key
from risk_assets.project import Project
from risk_assets.rendering import Renderer
from risk_assets.settings import PROJECT_DIR, Settings
from risk_assets_tests.conftest import _create_database, _drop_database, _with_database
from risk_assets_tests.quarto_standin import GENERATOR as STANDIN_GENERATOR
from risk_assets_tests.quarto_standin import write_standin
from risk_assets_tests.source_rows import SourceRows
from risk_assets_tests.tenant_partitions import with_tenants

WEEK = dt.date(2026, 11, 16)
TENANTS = ("seoul-central", "busan-ocean", "nyc-bridge")
XSS = "<script>alert(1)</script>"
ODD = "O'Brien \"Bobby\" 😀 김철수"
LONG = "가나다라마바사아자차" * 1_000  # 10,000 characters (docs/reliability.md, "Hostile data")
RTL = "\u202eevil name"  # a right-to-left override: must not reverse the text around it
CANARIES = {"seoul-central": "CANARYSEOUL", "busan-ocean": "CANARYBUSAN", "nyc-bridge": "CANARYNYC"}
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_DIR / "build" / "screenshots"
# Headline, charts and the top of the table: what a reader sees first (a whole 500-student page is 28,000 px).
FIRST_SCREENS = {"x": 0, "y": 0, "width": 1200, "height": 2700}
CUSTOM_TEMPLATE = "quarto/examples/custom/custom_report.qmd"


def _flag_by_absence(rows: SourceRows, org_id: int, name: str, days: list[dt.date]) -> int:
    sid = rows.student(org_id, name, class_name="3-1")
    for day in days:
        rows.attendance(sid, day, "absent")
    return sid


@pytest.fixture(scope="module")
def pipeline(pg_admin_url, tmp_path_factory):
    """Demo data (500 students per tenant) plus canary and tricky names, the whole job for one week."""
    source_name, risk_name = _create_database(pg_admin_url), _create_database(pg_admin_url)
    source_url, risk_url = _with_database(pg_admin_url, source_name), _with_database(pg_admin_url, risk_name)
    out = tmp_path_factory.mktemp("report")
    saved = dict(os.environ)
    os.environ.update({"SOURCE_DATABASE_URL": source_url, "RISK_DATABASE_URL": risk_url,
                       "RISK_DATA_DIR": str(out / "data"), "RISK_REPORTS_DIR": str(out / "reports")})
    try:
        conn = psycopg2.connect(source_url)
        with conn.cursor() as cur:
            cur.execute((PROJECT_DIR / "sql" / "source_schema.sql").read_text(encoding="utf-8"))
        conn.commit()
        dataset = generate_demo(DEFAULT_DEMO_TENANTS, WEEK, students_per_tenant=500)
        load_dataset(conn, dataset)
        # Absent every weekday of the 14-day window: attendance CRIT, so the name is in the at-risk table.
        week_days = [WEEK + dt.timedelta(days=i) for i in range(-7, 7) if (WEEK + dt.timedelta(days=i)).weekday() < 5]
        rows, ids = SourceRows(conn), {}
        for tenant, org in zip(TENANTS, (101, 102, 201)):
            ids[tenant] = [_flag_by_absence(rows, org, f"{CANARIES[tenant]} Student", week_days)]
        ids["seoul-central"] += [_flag_by_absence(rows, 101, name, week_days) for name in (XSS, ODD, LONG, RTL)]
        conn.close()
        config = load_config(PROJECT_DIR / "config")
        job = definitions_for(Project(config, Settings.from_env())).resolve_job_def(WEEKLY_JOB)
        for tenant in TENANTS:
            result = job.execute_in_process(partition_key=partition_key(WEEK, tenant),
                                            instance=with_tenants(DagsterInstance.ephemeral(), tenant),
                                            raise_on_error=False)
            assert result.success, tenant
        yield {"reports": out / "reports" / WEEK.isoformat(), "risk_url": risk_url, "ids": ids,
               "student_ids": {t: dataset.students.loc[dataset.students["org_id"] == org, "student_id"].tolist()
                               for t, org in zip(TENANTS, (101, 102, 201))}}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        _drop_database(pg_admin_url, source_name)
        _drop_database(pg_admin_url, risk_name)


def test_every_tenant_gets_its_files_in_its_language(pipeline):
    folder = pipeline["reports"]
    for tenant in TENANTS:
        for name in (f"{tenant}_report.html", f"{tenant}_summary.json", f"{tenant}_students.csv"):
            assert (folder / name).exists(), name
    assert (folder / "summary.csv").exists()
    korean = (folder / "seoul-central_report.html").read_text(encoding="utf-8")
    assert re.search(r'<html[^>]* lang="ko"', korean)
    assert "주간 학생 위험 보고서" in korean and "주의가 필요한 학생" in korean
    english = (folder / "nyc-bridge_report.html").read_text(encoding="utf-8")
    assert re.search(r'<html[^>]* lang="en"', english)
    assert "Weekly student risk report" in english and "Students who need attention" in english
    assert "주의가 필요한 학생" not in english


def test_reports_are_self_contained_and_small(pipeline):
    for tenant in TENANTS:
        html = (pipeline["reports"] / f"{tenant}_report.html").read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
        assert "@import" not in html
        assert (pipeline["reports"] / f"{tenant}_report.html").stat().st_size <= 3 * 1024 * 1024


def test_markup_in_names_is_text(pipeline):
    html = (pipeline["reports"] / "seoul-central_report.html").read_text(encoding="utf-8")
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ODD in unescape(html)  # escaped as text (markupsafe's entities, or Quarto's re-serialised DOM)


def test_no_tenant_sees_another_tenants_students(pipeline):
    for tenant in TENANTS:
        files = [pipeline["reports"] / f"{tenant}_{suffix}"
                 for suffix in ("report.html", "summary.json", "students.csv")]
        text = "\n".join(path.read_text(encoding="utf-8") for path in files)
        with psycopg2.connect(pipeline["risk_url"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT student_id FROM risk.student_results WHERE tenant = %s", (tenant,))
            db_ids = {row[0] for row in cur.fetchall()}
        own = set(pipeline["student_ids"][tenant]) | set(pipeline["ids"][tenant])
        assert db_ids <= own and set(pipeline["ids"][tenant]) <= db_ids
        assert CANARIES[tenant] in text
        for other in TENANTS:
            if other == tenant:
                continue
            assert CANARIES[other] not in text
            foreign = set(pipeline["student_ids"][other]) | set(pipeline["ids"][other])
            assert not foreign & db_ids
            assert not {str(i) for i in foreign} & set(re.findall(r"\d{6,}", text))


def _watch(page) -> tuple[list[str], list[str]]:
    """Records what `page` requests from anywhere but file: and data: URLs, and its console and page errors."""
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return requests, errors


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (`.ci/run` installs it)")
def test_reports_in_headless_chromium(pipeline):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            for tenant in TENANTS:
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                requests, errors = _watch(page)
                page.goto((pipeline["reports"] / f"{tenant}_report.html").as_uri())
                page.wait_for_load_state("load")
                rows = page.locator("#risk-table tbody tr:not([hidden])")
                before = rows.count()
                assert before > 3
                page.fill("#risk-search", CANARIES[tenant])
                assert rows.count() == 1
                assert CANARIES[tenant] in rows.first.inner_text()
                assert page.locator("#risk-count").inner_text() in ("1명 표시", "1 shown")
                page.fill("#risk-search", "")
                assert rows.count() == before
                _check_sorting(page)
                assert page.evaluate("document.documentElement.scrollWidth") <= 1200  # a 10,000-character name wraps
                names = page.locator("#risk-table tbody td.person:nth-child(2)")
                assert names.count() == page.locator("#risk-table tbody tr").count()
                assert names.locator("bdi").count() == names.count()  # each name in its own bidirectional box
                if tenant == "seoul-central":
                    long_name = page.locator("#risk-table tbody td.person", has_text=LONG[:20])
                    assert long_name.get_attribute("title") == LONG
                    assert long_name.inner_text() == LONG[:79] + "…"
                    assert page.locator("#risk-table bdi", has_text="evil name").count() == 1
                page.screenshot(path=str(SCREENSHOTS / f"report-{tenant}.png"), full_page=True, clip=FIRST_SCREENS)
                assert requests == [], f"{tenant} requested {requests}"
                assert errors == [], f"{tenant} console errors {errors}"
                page.close()
        finally:
            browser.close()


def _row_order(page) -> list[str]:
    """The students of the at-risk table, top to bottom, by id (unique, unlike names)."""
    return page.locator("#risk-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.student)")


def _check_sorting(page) -> None:
    """Each click on a column heading puts the rows in exactly the expected order. The '#' column identifies a row;
    names repeat, so their expected order is the browser's own collation (what localeCompare uses) with ties kept
    in table order (a stable sort)."""
    shown = _row_order(page)
    assert len(set(shown)) == len(shown) > 3
    page.click("#risk-table th:nth-child(1)")
    assert _row_order(page) == shown  # ascending: as ranked
    page.click("#risk-table th:nth-child(1)")
    assert _row_order(page) == shown[::-1]
    page.click("#risk-table th:nth-child(1)")
    assert _row_order(page) == shown
    ranks = page.locator("#risk-table tbody tr").evaluate_all(
        "rows => { const names = rows.map(r => r.cells[1].textContent);"
        " const order = Array.from(new Set(names)).sort(new Intl.Collator().compare);"
        " return Object.fromEntries(rows.map((r, i) => [r.dataset.student, order.indexOf(names[i])])); }")
    assert len(set(ranks.values())) > 3
    page.click("#risk-table th:nth-child(2)")
    assert _row_order(page) == sorted(shown, key=ranks.get)
    page.click("#risk-table th:nth-child(2)")
    assert _row_order(page) == sorted(shown, key=ranks.get, reverse=True)


def _figures_and_students(page) -> tuple[list, list, list, list]:
    """As the reader sees them: the headline cards (level, count), the at-risk table's students in order
    (id, name, reasons), each chart's accessible title, and the text of every section of the report."""
    cards = page.locator(".kpi[data-level]").evaluate_all(
        "cards => cards.map(c => [c.dataset.level, c.querySelector('.value').textContent.trim()])")
    students = page.locator("#risk-table tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.student, r.cells[1].textContent.trim(), "
        "Array.from(r.querySelectorAll('ul.reasons li'), li => li.textContent.trim())])")
    charts = page.locator("svg.chart").evaluate_all("charts => charts.map(c => c.getAttribute('aria-label'))")
    sections = page.locator("div.risk-report").evaluate_all(
        "sections => sections.map(s => [s.id, s.textContent.replace(/\\s+/g, ' ').trim()])")
    return cards, students, charts, sections


def _quarto_renderers(folder: Path, monkeypatch) -> dict[str, Renderer]:
    """The Quarto renderers this machine can run the template with: an installed Quarto (with `.[jupyter]`), and
    always the stand-in (quarto_standin.py) reached through the product's own Quarto path."""
    from risk_assets.rendering import RenderError, choose_renderer

    installed = choose_renderer("auto")
    renderers = {"quarto": installed} if installed.name == "quarto" else {}
    monkeypatch.setenv("RISK_QUARTO_BIN", str(write_standin(folder)))
    try:
        renderers["quarto-standin"] = choose_renderer("quarto")
    except RenderError as error:  # only without `.[jupyter]`: the cell worker needs IPython with the stand-in too
        pytest.skip(f"no Quarto path can run here, so there is nothing to compare the built-in renderer with: {error}")
    return renderers


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (`.ci/run` installs it)")
def test_both_renderers_show_the_same_figures_and_students(pipeline, tmp_path, monkeypatch):
    """A Korean and an English report from the built-in renderer and from the Quarto path (a real Quarto when
    installed, and the stand-in: the same inputs through the Quarto batch path, the cells run by its cell worker)
    show the same levels, numbers, students and sections; screenshotted for a person to compare."""
    from playwright.sync_api import sync_playwright

    from risk_assets.rendering import render_report
    from risk_assets.settings import DEFAULT_REPORT_TEMPLATE

    renderers = {"builtin": "builtin", **_quarto_renderers(tmp_path / "standin", monkeypatch)}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            for tenant, lang in (("seoul-central", "ko"), ("nyc-bridge", "en")):
                params = {"summary_path": pipeline["reports"] / f"{tenant}_summary.json",
                          "students_path": pipeline["reports"] / f"{tenant}_students.csv",
                          "brand_dir": DEFAULT_REPORT_TEMPLATE.parent}
                seen, generators = {}, {}
                for name, engine in renderers.items():
                    output = render_report(DEFAULT_REPORT_TEMPLATE, params, tmp_path / f"{tenant}-{name}.html",
                                           label=tenant, engine=engine, lang=lang)
                    html = output.read_text(encoding="utf-8")
                    assert re.search(rf'<html[^>]* lang="{lang}"', html)
                    generators[name] = re.search(r'<meta name="generator" content="([^"]*)"', html)[1]
                    page = browser.new_page(viewport={"width": 1200, "height": 900})
                    page.goto(output.as_uri())
                    page.wait_for_load_state("load")
                    seen[name] = _figures_and_students(page)
                    page.screenshot(path=str(SCREENSHOTS / f"report-{lang}-{name}.png"), full_page=True,
                                    clip=FIRST_SCREENS)
                    page.close()
                assert generators["quarto-standin"] == STANDIN_GENERATOR  # the page came from the Quarto path
                cards, students, charts, sections = seen["builtin"]
                assert len(cards) == 5 and len(students) > 3 and len(charts) == 2 and len(sections) >= 8
                assert CANARIES[tenant] in {name.split()[0] for _, name, _ in students}
                for name, value in seen.items():
                    for part, a, b in zip(("cards", "students", "charts", "sections"), seen["builtin"], value):
                        assert a == b, (f"{tenant}: {part} differ between builtin and {name}: "
                                        f"{[x for x in zip(a, b) if x[0] != x[1]][:3]}")
        finally:
            browser.close()


def _visible_text(html: str) -> str:
    """The page's words without markup, entities decoded and spaces (Quarto writes `Figure&nbsp;1`) normalised."""
    text = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)))
    return re.sub(r"\s+", " ", text)


def test_the_customised_template_example_renders_through_the_report_asset(pipeline, tmp_path, monkeypatch):
    """quarto/examples/custom/ as report.template with renderer quarto: the tenant_report asset renders it through
    the Quarto path (an installed Quarto, else the stand-in) and publishes it with its callout, figure and tabs."""
    from risk_assets.config.tenants import ReportSettings
    from risk_assets.rendering import choose_renderer
    from risk_assets.rendering.self_contained import external_references

    tenant = "seoul-central"
    week_folder = tmp_path / "reports" / WEEK.isoformat()
    week_folder.mkdir(parents=True)
    for suffix in ("summary.json", "students.csv"):  # the published inputs: the report alone is rendered again
        shutil.copy(pipeline["reports"] / f"{tenant}_{suffix}", week_folder)
    if choose_renderer("auto").name != "quarto":
        monkeypatch.setenv("RISK_QUARTO_BIN", str(write_standin(tmp_path / "standin")))
    monkeypatch.setenv("RISK_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("RISK_DATA_DIR", str(tmp_path / "data"))
    config = load_config(PROJECT_DIR / "config")
    report = ReportSettings(renderer="quarto", template=CUSTOM_TEMPLATE)
    config = config.model_copy(update={"tenants": config.tenants.model_copy(update={"report": report})})
    job = definitions_for(Project(config, Settings.from_env())).resolve_job_def(WEEKLY_JOB)

    result = job.execute_in_process(partition_key=partition_key(WEEK, tenant), raise_on_error=False,
                                    instance=with_tenants(DagsterInstance.ephemeral(), tenant),
                                    asset_selection=[AssetKey("tenant_report")])

    assert result.success
    [materialization] = [e.materialization for e in result.get_asset_materialization_events()
                         if e.asset_key.path == ["tenant_report"]]
    assert materialization.metadata["renderer"].value.startswith("quarto ")
    html = (week_folder / f"{tenant}_report.html").read_text(encoding="utf-8")
    levels = json.loads((week_folder / f"{tenant}_summary.json").read_text(encoding="utf-8"))["levels"]
    text = _visible_text(html)
    assert re.search(r'<div class="[^"]*callout-important', html) and "This week" in text
    assert (f"{levels['CRIT']['count']} students are at the critical level and {levels['WARN']['count']} need "
            "attention; see Figure 1 for the whole school.") in text
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/]{1000}', html)
    assert "Figure 1: Students per level this week" in text
    assert re.search(r'<div class="[^"]*panel-tabset', html)
    assert all(tab in text for tab in ("At-risk students", "Classes", "How levels are decided"))
    assert CANARIES[tenant] in text and '<html lang="ko"' in html
    assert external_references(html) == []
