// Sorting and searching of the at-risk table; no network, no libraries.
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
  // What a reader sees in a row: not the hidden titles of its trajectory chart (dates, levels).
  function searchText(row) {
    if (!row.hasAttribute("data-search")) {
      var copy = row.cloneNode(true);
      copy.querySelectorAll("svg").forEach(function (svg) { svg.remove(); });
      row.setAttribute("data-search", copy.textContent.toLowerCase());
    }
    return row.getAttribute("data-search");
  }
  var search = document.getElementById("risk-search");
  if (search) {
    var table = document.getElementById("risk-table"), count = document.getElementById("risk-count");
    search.addEventListener("input", function () {
      var query = search.value.trim().toLowerCase(), shown = 0;
      rows(table).forEach(function (row) {
        var match = searchText(row).indexOf(query) !== -1;
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      count.textContent = count.getAttribute("data-template").replace("{n}", shown);
    });
  }
});
