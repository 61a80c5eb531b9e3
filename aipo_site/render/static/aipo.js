/* aipo portal: draws the Vega-Lite charts (offline bundle) and makes the dashboard sortable and
   filterable. Works with and without Material's instant navigation (document$). */
(function () {
  "use strict";

  function drawCharts(root) {
    root.querySelectorAll(".aipo-chart:not([data-aipo-drawn])").forEach(function (el) {
      el.setAttribute("data-aipo-drawn", "pending");
      var view = el.querySelector(".aipo-chart-view");
      var source = el.querySelector('script[type="application/json"]');
      if (!view || !source || typeof window.vegaEmbed !== "function") {
        el.setAttribute("data-aipo-drawn", "error");
        return;
      }
      var spec;
      try {
        spec = JSON.parse(source.textContent);
      } catch (err) {
        el.setAttribute("data-aipo-drawn", "error");
        return;
      }
      window
        .vegaEmbed(view, spec, { actions: false, renderer: "svg", tooltip: { theme: "light" } })
        .then(function () {
          el.setAttribute("data-aipo-drawn", "done");
        })
        .catch(function (err) {
          el.setAttribute("data-aipo-drawn", "error");
          var note = document.createElement("p");
          note.className = "aipo-chart-error";
          note.textContent = "This chart could not be drawn: " + (err && err.message ? err.message : err);
          el.appendChild(note);
        });
    });
  }

  function cellValue(row, index) {
    var cell = row.children[index];
    if (!cell) return "";
    return cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
  }

  function makeSortable(table) {
    if (table.hasAttribute("data-aipo-ready")) return;
    table.setAttribute("data-aipo-ready", "");
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, index) {
      th.setAttribute("tabindex", "0");
      th.setAttribute("role", "columnheader");
      th.setAttribute("aria-sort", "none");
      function sort() {
        var body = table.tBodies[0];
        var numeric = th.getAttribute("data-sort") === "num";
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index), y = cellValue(b, index);
          var cmp = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0)
                            : x.localeCompare(y, undefined, { sensitivity: "base" });
          return ascending ? cmp : -cmp;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  }

  function setupDashboard(root) {
    var table = root.querySelector(".aipo-dashboard table");
    if (!table) return;
    makeSortable(table);
    var input = root.querySelector(".aipo-filter-input");
    var buttons = root.querySelectorAll("[data-aipo-filter]");
    var empty = root.querySelector(".aipo-empty-filter");
    var status = "";
    function apply() {
      var text = input ? input.value.trim().toLowerCase() : "";
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var ok = (!status || row.getAttribute("data-status") === status) &&
                 (!text || row.textContent.toLowerCase().indexOf(text) !== -1);
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (empty) empty.hidden = shown !== 0;
    }
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        status = button.getAttribute("data-aipo-filter");
        buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
        apply();
      });
    });
    if (input) input.addEventListener("input", apply);
  }

  function init() {
    drawCharts(document);
    setupDashboard(document);
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
