"""The report's own stylesheet and script, inlined so the HTML needs nothing from the network."""

from __future__ import annotations

from typing import Mapping

STYLE = """
:root { --primary: %(primary)s; --crit: %(crit)s; --warn: %(warn)s; --ok: %(ok)s; --insufficient: %(insufficient)s; }
.risk-report { font-family: system-ui, -apple-system, "Segoe UI", "Apple SD Gothic Neo", "Noto Sans KR",
  "Malgun Gothic", sans-serif; color: #1d232a; max-width: 1100px; margin: 0 auto; line-height: 1.5; }
.risk-report h2 { color: var(--primary); border-bottom: 2px solid var(--primary); padding-bottom: .2em; margin-top: 2em; }
.report-header { display: flex; align-items: center; gap: 1em; border-bottom: 4px solid var(--primary); padding-bottom: .8em; }
.report-header img { height: 48px; }
.report-header h1 { margin: 0; font-size: 1.6em; color: var(--primary); }
.report-header dl { margin: .3em 0 0; display: grid; grid-template-columns: auto 1fr; gap: 0 .8em; font-size: .9em; color: #444; }
.report-header dt { font-weight: 600; }
.report-header dd { margin: 0; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .8em; margin: 1.2em 0; }
.kpi { border-radius: 8px; padding: .8em 1em; background: #f4f6f8; border-left: 6px solid var(--primary); }
.kpi .value { font-size: 1.8em; font-weight: 700; }
.kpi .label { font-size: .9em; color: #444; }
.kpi .change { font-size: .8em; color: #555; }
.kpi.crit { border-color: var(--crit); } .kpi.warn { border-color: var(--warn); }
.kpi.ok { border-color: var(--ok); } .kpi.insufficient { border-color: var(--insufficient); }
.notice { padding: .8em 1em; border-radius: 6px; background: #fff4e5; border: 1px solid var(--warn); }
.badge { display: inline-block; padding: 0 .5em; border-radius: 4px; color: #fff; font-size: .85em; font-weight: 600; }
.badge.CRIT { background: var(--crit); } .badge.WARN { background: var(--warn); }
.badge.new { background: var(--primary); }
table.data { border-collapse: collapse; width: 100%%; font-size: .92em; }
table.data th, table.data td { border-bottom: 1px solid #dde3e8; padding: .35em .5em; text-align: left; vertical-align: top; }
table.data th { background: #eef2f5; }
table.sortable th[data-sort] { cursor: pointer; user-select: none; }
table.sortable th[data-sort]::after { content: " \\2195"; color: #999; }
td.num, th.num { text-align: right; }
ul.reasons { margin: 0; padding-left: 1.1em; }
.unreliable { color: #666; font-style: italic; }
.unreliable::after { content: " (" attr(data-note) ")"; }
.search { margin: .6em 0; display: flex; gap: 1em; align-items: center; }
.search input { flex: 1; padding: .45em .6em; font-size: 1em; border: 1px solid #b8c2cc; border-radius: 6px; }
.chart { max-width: 680px; display: block; margin: .5em 0; }
.chart text { font-size: 13px; fill: #1d232a; }
.chart .chart-count { fill: #fff; font-weight: 600; text-anchor: middle; }
.chart .chart-tick { text-anchor: middle; fill: #555; }
.muted { color: #555; font-size: .9em; }
"""

SCRIPT = """
document.addEventListener("DOMContentLoaded", function () {
  function rows(table) { return Array.prototype.slice.call(table.tBodies[0].rows); }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th[data-sort]").forEach(function (th) {
      th.addEventListener("click", function () {
        var index = th.cellIndex, numeric = th.getAttribute("data-sort") === "number";
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var sorted = rows(table).sort(function (a, b) {
          var x = a.cells[index].getAttribute("data-value") || a.cells[index].textContent;
          var y = b.cells[index].getAttribute("data-value") || b.cells[index].textContent;
          var order = numeric ? (parseFloat(x) - parseFloat(y)) : x.localeCompare(y);
          return ascending ? order : -order;
        });
        sorted.forEach(function (row) { table.tBodies[0].appendChild(row); });
      });
    });
  });
  var search = document.getElementById("risk-search");
  if (search) {
    var table = document.getElementById("risk-table"), count = document.getElementById("risk-count");
    search.addEventListener("input", function () {
      var query = search.value.trim().toLowerCase(), shown = 0;
      rows(table).forEach(function (row) {
        var match = row.textContent.toLowerCase().indexOf(query) !== -1;
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      count.textContent = count.getAttribute("data-template").replace("{n}", shown);
    });
  }
});
"""


def head_html(colours: Mapping[str, str]) -> str:
    return f"<style>{STYLE % colours}</style>\n<script>{SCRIPT}</script>"
