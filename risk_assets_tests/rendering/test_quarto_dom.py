"""The batch path against Quarto itself: for two schools, the default template and quarto/examples/custom/, the pages
a RenderSession makes and the pages a plain `quarto render <template>.qmd -P …` makes (cells run in Quarto's own
Jupyter kernel) show the same document in Chromium — text, tables, figures, callouts, cross-references, tabs.

Runs only where a real Quarto is on PATH (the stand-in never is) and Debian's chromium is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from risk_assets.rendering import RenderSession, choose_renderer
from risk_assets.settings import DEFAULT_REPORT_TEMPLATE, PROJECT_DIR
from risk_assets_tests.rendering.conftest import bench_inputs

QUARTO = shutil.which("quarto")
CHROMIUM = Path("/usr/bin/chromium")
CUSTOM_TEMPLATE = PROJECT_DIR / "quarto" / "examples" / "custom" / "custom_report.qmd"
pytestmark = [
    pytest.mark.skipif(QUARTO is None, reason="Quarto is not installed: put a real `quarto` on PATH (with "
                                              "QUARTO_PYTHON holding `.[jupyter]`) to compare the batch path with it"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (`.ci/run` installs it)"),
]

# What a reader sees, as Chromium lays the page out.
SUMMARY_JS = """() => {
  const clean = s => (s || "").replace(/\\s+/g, " ").trim();
  const all = selector => [...document.querySelectorAll(selector)];
  return {
    text: clean(document.body.innerText),
    tables: all("table").map(t => [...t.rows].map(r => [...r.cells].map(c => clean(c.innerText)))),
    images: all("img").map(i => [i.naturalWidth > 0, clean(i.alt)]),
    svgs: all("svg").length,
    callouts: all(".callout").map(c => clean(c.innerText)),
    xrefs: all("a.quarto-xref").map(a => [clean(a.innerText), a.getAttribute("href")]),
    figures: all("figure").map(f => clean(f.innerText)),
    tabs: all(".panel-tabset .nav-link").map(a => clean(a.innerText)),
  };
}"""


def plain_quarto_render(template: Path, params: dict[str, str], output: Path) -> Path:
    assert QUARTO is not None  # the module is skipped without it
    folder = output.parent / f"{output.stem}-template"
    shutil.copytree(template.parent, folder)
    argv = [QUARTO, "render", template.name, "--to", "html", "-M", "embed-resources:true", "-M", "lang:ko"]
    for name, value in params.items():
        argv += ["-P", f'{name}:"{value}"']
    subprocess.run(argv + ["--output", output.name], cwd=folder, check=True, capture_output=True, timeout=600,
                   env={**os.environ, "QUARTO_PYTHON": os.environ.get("QUARTO_PYTHON", sys.executable)})
    shutil.move(folder / output.name, output)
    return output


def _remote_requests(page) -> list[str]:
    """The URLs `page` requests from anywhere but file: and data:, as it requests them."""
    remote: list[str] = []
    page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    return remote


def summaries(pages: dict[str, Path]) -> dict[str, dict]:
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            for name, path in pages.items():
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                remote = _remote_requests(page)
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                found[name] = {**page.evaluate(SUMMARY_JS), "remote": remote}
                page.close()
        finally:
            browser.close()
    return found


@pytest.mark.parametrize("template", [DEFAULT_REPORT_TEMPLATE, CUSTOM_TEMPLATE], ids=["default", "custom"])
def test_batch_pages_read_as_a_plain_quarto_render(template, tmp_path, monkeypatch):
    monkeypatch.setenv("RISK_QUARTO_BIN", QUARTO)
    schools = {school: {**bench_inputs(tmp_path, school, size), "brand_dir": str(template.parent)}
               for school, size in (("small", 40), ("large", 120))}
    pages = {}
    with RenderSession(choose_renderer("quarto")) as session:
        for school, params in schools.items():
            pages[f"{school}-batch"] = session.render(template, params, tmp_path / f"{school}-batch.html",
                                                      label=school, lang="ko")
    for school, params in schools.items():
        pages[f"{school}-plain"] = plain_quarto_render(template, params, tmp_path / f"{school}-plain.html")

    seen = summaries(pages)

    for school in schools:
        batch, plain = seen[f"{school}-batch"], seen[f"{school}-plain"]
        assert batch == plain
        assert batch["remote"] == []
        assert batch["tables"] and all(loaded for loaded, _ in batch["images"])
    assert seen["small-batch"]["tables"] != seen["large-batch"]["tables"]
    if template == CUSTOM_TEMPLATE:
        assert seen["small-batch"]["callouts"] and seen["small-batch"]["xrefs"] and seen["small-batch"]["tabs"]
        assert seen["small-batch"]["figures"][0].startswith("그림 1")
