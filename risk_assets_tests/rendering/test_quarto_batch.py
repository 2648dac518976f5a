"""Quarto batches (rendering/quarto_batch.py) through the stand-in `quarto`: one cell worker and one skeleton render
for many schools, each school's cells run from a clean state, each school's failure its own."""

from __future__ import annotations

import os
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from risk_assets.rendering import RenderError, RenderSession, choose_renderer, quarto_batch
from risk_assets_tests.quarto_standin import write_standin
from risk_assets_tests.rendering.conftest import LABEL, bench_inputs

# Each cell prints raw HTML, so every school's page is made from one skeleton render.
SCHOOL_TEMPLATE = """\
---
pagetitle: Batch
format:
  html:
    embed-resources: true
jupyter: python3
---

```{python}
#| tags: [parameters]
school = ""
```

```{python}
#| label: remember
#| output: asis
import os

import memory

memory.schools.append(school)
if school == "broken":
    raise ValueError("no data for this school")
if school == "crashing":
    os._exit(3)
if school == "worker-killing":
    os.kill(os.getppid(), 9)  # the cell worker itself, not only this school's process
if school == "noisy":
    os.write(1, b'{"done": 0}\\n')  # straight to the process's stdout, past sys.stdout
print("```{=html}\\n<p class='seen'>" + ",".join(memory.schools) + "</p>\\n```")
```

```{python}
#| label: earlier
#| output: asis
print("```{=html}\\n<p class='earlier'>" + str(globals().get("first_school", "none")) + "</p>\\n```")
first_school = school
```
"""


@pytest.fixture
def template(tmp_path) -> Path:
    folder = tmp_path / "template"
    folder.mkdir()
    (folder / "memory.py").write_text("schools = []  # a helper module's global state\n")
    path = folder / "report.qmd"
    path.write_text(SCHOOL_TEMPLATE, encoding="utf-8")
    return path


@pytest.fixture
def counted_quarto(tmp_path, monkeypatch) -> Path:
    """The stand-in behind a wrapper that counts its renders; returns the count file."""
    standin = write_standin(tmp_path / "standin")
    calls = tmp_path / "quarto-calls"
    wrapper = tmp_path / "counted" / "quarto"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\n[ "$1" = render ] && echo "$2" >> {calls}\nexec {standin} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("RISK_QUARTO_BIN", str(wrapper))
    return calls


def render_all(template: Path, schools: list[str], out: Path, cache_dir=None) -> dict[str, object]:
    """Each school's page text, or the RenderError it raised, from one session."""
    results: dict[str, object] = {}
    with RenderSession(choose_renderer("quarto"), cache_dir=cache_dir) as session:
        for school in schools:
            try:
                results[school] = session.render(template, {"school": school}, out / f"{school}.html",
                                                 label=f"{LABEL} {school}").read_text(encoding="utf-8")
            except RenderError as error:
                results[school] = error
    return results


def test_each_school_starts_from_a_clean_state(template, counted_quarto, tmp_path):
    pages = render_all(template, ["alpha", "beta", "gamma"], tmp_path / "out")

    for school in ("alpha", "beta", "gamma"):
        assert f"<p class='seen'>{school}</p>" in pages[school]  # the helper module remembers no earlier school
        assert "<p class='earlier'>none</p>" in pages[school]  # nor does the cells' own namespace
        assert not any(other in pages[school] for other in {"alpha", "beta", "gamma"} - {school})
    assert counted_quarto.read_text().splitlines() == ["report.ipynb"], "one skeleton render for the batch"


def test_a_school_whose_cell_fails_fails_alone(template, counted_quarto, tmp_path):
    pages = render_all(template, ["alpha", "broken", "gamma"], tmp_path / "out")

    assert str(pages["broken"]) == (f"{LABEL} broken: cell 'remember' of report.qmd failed at line 23: "
                                    "ValueError: no data for this school")
    assert not (tmp_path / "out" / "broken.html").exists()
    assert "<p class='seen'>alpha</p>" in pages["alpha"] and "<p class='seen'>gamma</p>" in pages["gamma"]


def test_a_school_that_ends_its_process_fails_alone(template, counted_quarto, tmp_path):
    pages = render_all(template, ["crashing", "gamma"], tmp_path / "out")

    assert isinstance(pages["crashing"], RenderError)
    assert str(pages["crashing"]).startswith(f"{LABEL} crashing: the template's cells ended their process "
                                             "(exit status 3) before they finished")
    assert "<p class='seen'>gamma</p>" in pages["gamma"]


def test_a_school_that_kills_the_cell_worker_fails_alone(template, counted_quarto, tmp_path):
    pages = render_all(template, ["alpha", "worker-killing", "gamma"], tmp_path / "out")

    assert str(pages["worker-killing"]).startswith(f"{LABEL} worker-killing: the cell worker (")
    assert "<p class='seen'>alpha</p>" in pages["alpha"]
    assert "<p class='seen'>gamma</p>" in str(pages["gamma"]), pages["gamma"]  # a new worker, from a clean state


@pytest.mark.parametrize(("script", "failure"), [
    ("exec 0<&- 1>&-\nsleep 1", "has stopped"),  # closes its pipes, exits a second later
    ("exec sleep 30", "did not finish within 0.5 s"),  # answers nothing: killed after the time limit
], ids=["pipes closed", "killed after the time limit"])
def test_a_worker_that_has_failed_a_school_is_not_given_the_next(tmp_path, monkeypatch, script, failure):
    """A process closes its files, and takes a signal, a moment before its parent can see it exit: once a school has
    failed because its worker ended, the worker must read as ended, or the next school would be sent to it too."""
    monkeypatch.setattr(quarto_batch, "RENDER_TIMEOUT_SECONDS", 0.5)
    python = tmp_path / "stand-in-python"
    python.write_text(f"#!/bin/sh\n{script}\n")
    python.chmod(0o755)
    worker = quarto_batch.CellWorker(str(python), tmp_path)
    try:
        with pytest.raises(RenderError, match=failure):
            worker.execute({"template": "report.qmd"}, "school")
        assert not worker.alive
    finally:
        worker.close()


def test_what_a_cell_writes_to_the_process_stdout_cannot_pass_for_an_answer(template, counted_quarto, tmp_path):
    pages = render_all(template, ["noisy", "gamma"], tmp_path / "out")

    assert "<p class='seen'>noisy</p>" in pages["noisy"]
    assert "<p class='seen'>gamma</p>" in pages["gamma"]


def test_a_cached_skeleton_serves_the_next_batch_without_quarto(template, counted_quarto, tmp_path):
    cache = tmp_path / "cache"
    first = render_all(template, ["alpha"], tmp_path / "out1", cache)
    second = render_all(template, ["beta"], tmp_path / "out2", cache)

    assert counted_quarto.read_text().splitlines() == ["report.ipynb"]
    assert len(list(cache.glob("*.html"))) == 1
    assert first["alpha"].replace("alpha", "beta") == second["beta"]


def test_batches_that_start_together_render_their_skeleton_once(template, counted_quarto, tmp_path, monkeypatch):
    """Two runs of a backfill start at once: one renders the skeleton page, the other waits for it and reads it."""
    slow = tmp_path / "slow" / "quarto"
    slow.parent.mkdir()
    slow.write_text(f'#!/bin/sh\n[ "$1" = render ] && sleep 2\nexec {os.environ["RISK_QUARTO_BIN"]} "$@"\n')
    slow.chmod(0o755)
    monkeypatch.setenv("RISK_QUARTO_BIN", str(slow))
    cache = tmp_path / "cache"

    with ThreadPoolExecutor(2) as pool:
        pages = list(pool.map(lambda school: render_all(template, [school], tmp_path / school, cache)[school],
                              ["alpha", "beta"]))

    assert counted_quarto.read_text().splitlines() == ["report.ipynb"]
    assert pages[0].replace("alpha", "beta") == pages[1]


def test_a_changed_template_folder_is_not_served_an_old_skeleton(template, counted_quarto, tmp_path):
    cache = tmp_path / "cache"
    render_all(template, ["alpha"], tmp_path / "out1", cache)
    template.write_text(template.read_text().replace("pagetitle: Batch", "pagetitle: Changed"))
    page = render_all(template, ["beta"], tmp_path / "out2", cache)["beta"]

    assert "<title>Changed</title>" in page
    assert len(counted_quarto.read_text().splitlines()) == 2


def test_the_substituted_page_is_the_page_quarto_makes_of_the_school_alone(counted_quarto, tmp_path, monkeypatch):
    """The default template, two schools: the skeleton page with each school's outputs put in is byte for byte the
    stand-in's render of that school's own notebook (what happens for outputs that cannot be substituted)."""
    from risk_assets.settings import DEFAULT_REPORT_TEMPLATE

    params = {school: bench_inputs(tmp_path, school, size) for school, size in (("a", 40), ("b", 70))}
    batched, alone = {}, {}
    with RenderSession(choose_renderer("quarto")) as session:
        for school, values in params.items():
            batched[school] = session.render(DEFAULT_REPORT_TEMPLATE, values, tmp_path / f"{school}-batch.html",
                                             label=school, lang="ko").read_bytes()
    assert len(counted_quarto.read_text().splitlines()) == 1
    monkeypatch.setattr(quarto_batch, "slots", lambda document, notebook: None)
    with RenderSession(choose_renderer("quarto")) as session:
        for school, values in params.items():
            alone[school] = session.render(DEFAULT_REPORT_TEMPLATE, values, tmp_path / f"{school}-alone.html",
                                           label=school, lang="ko").read_bytes()
    assert len(counted_quarto.read_text().splitlines()) == 3
    assert batched == alone
    assert batched["a"] != batched["b"]


def test_markdown_printed_by_a_cell_is_rendered_by_quarto_for_each_school(counted_quarto, tmp_path):
    folder = tmp_path / "md"
    folder.mkdir()
    template = folder / "report.qmd"
    template.write_text(textwrap.dedent("""\
        ```{python}
        #| tags: [parameters]
        school = ""
        ```

        ```{python}
        #| output: asis
        print(f"**{school}** this week")
        ```
        """), encoding="utf-8")

    pages = render_all(template, ["alpha", "beta"], tmp_path / "out")

    assert "<strong>alpha</strong>" in pages["alpha"] and "<strong>beta</strong>" in pages["beta"]
    assert len(counted_quarto.read_text().splitlines()) == 2


def cell_workers() -> set[int]:
    """This test process's cell worker children (other test processes may have their own)."""
    workers = set()
    for child in psutil.Process().children():
        try:
            if "risk_assets.rendering.cell_worker" in " ".join(child.cmdline()):
                workers.add(child.pid)
        except psutil.Error:  # ended meanwhile
            continue
    return workers


def test_no_cell_worker_or_scratch_folder_outlives_the_session(template, counted_quarto, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    tempfile.tempdir = None  # read TMPDIR again
    before = cell_workers()
    try:
        with RenderSession(choose_renderer("quarto")) as session:
            session.render(template, {"school": "alpha"}, tmp_path / "alpha.html", label=LABEL)
            during, scratch = cell_workers() - before, list((tmp_path / "tmp").iterdir())
    finally:
        tempfile.tempdir = None
    assert len(during) == 1 and len(scratch) == 1
    assert not cell_workers() & during
    assert list((tmp_path / "tmp").iterdir()) == []
