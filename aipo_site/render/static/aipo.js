/* aipo portal: draws the Vega-Lite charts (offline bundle) and makes the dashboard sortable and
   filterable. Works with and without Material's instant navigation (document$). */
(function () {
  "use strict";

  // Mark colours of the chart specs (aipo_site/render/charts.py) that fall below 3:1 against a
  // scheme's background, and what they are drawn in instead. Colours not listed are kept.
  var SCHEME_COLOURS = {
    light: {
      "#f0a202": "#c27800",
      "#9fb7d9": "#6f94c4"
    },
    dark: {
      "#d62828": "#ef5350",
      "#c62828": "#ef5350",
      "#2e7d32": "#4caf50",
      "#1f5fa8": "#6fa8ff",
      "#555555": "#b0b6c4",
      "#e8f5e9": "#1e3b25",
      "#fff3cd": "#4a3d12",
      "#f8d7da": "#4f1f25"
    }
  };

  function isDark() {
    return document.body.getAttribute("data-md-color-scheme") === "slate";
  }

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.body).getPropertyValue(name).trim();
    return value || fallback;
  }

  // Replace listed colours anywhere in a spec (mark colours, scale ranges); "white" cell strokes
  // become the page's background in the dark scheme.
  function recolour(node, map) {
    if (Array.isArray(node)) return node.map(function (v) { return recolour(v, map); });
    if (node && typeof node === "object") {
      var out = {};
      Object.keys(node).forEach(function (key) {
        // Data values are never colours: leave inline data untouched.
        out[key] = key === "values" ? node[key] : recolour(node[key], map);
      });
      return out;
    }
    if (typeof node === "string") {
      var hit = map[node.toLowerCase()];
      return hit === undefined ? node : hit;
    }
    return node;
  }

  // The scheme's theme, given to vega-embed as `config` (the spec's own config wins where both
  // set a key): transparent background, axis/legend/title colours from aipo.css's variables.
  function themeConfig() {
    var text = cssVar("--aipo-chart-text", "#4a4a4a");
    var title = cssVar("--aipo-chart-title", "#333333");
    var grid = cssVar("--aipo-chart-grid", "#e3e3e3");
    var domain = cssVar("--aipo-chart-domain", "#8c8c8c");
    return {
      background: "transparent",
      axis: { labelColor: text, titleColor: title, gridColor: grid, domainColor: domain, tickColor: domain },
      legend: { labelColor: text, titleColor: title },
      title: { color: title, subtitleColor: text },
      header: { labelColor: text, titleColor: title },
      text: { color: title }
    };
  }

  function themedSpec(spec) {
    var map = Object.assign({}, SCHEME_COLOURS[isDark() ? "dark" : "light"]);
    if (isDark()) map.white = cssVar("--md-default-bg-color", "#1e2129");
    return recolour(spec, map);
  }

  function drawCharts(root) {
    var dark = isDark();
    root.querySelectorAll(".aipo-chart:not([data-aipo-drawn])").forEach(function (el) {
      el.setAttribute("data-aipo-drawn", "pending");
      el.setAttribute("data-aipo-scheme", dark ? "dark" : "light");
      var view = el.querySelector(".aipo-chart-view");
      var source = el.querySelector('script[type="application/json"]');
      if (!view || !source || typeof window.vegaEmbed !== "function") {
        el.setAttribute("data-aipo-drawn", "error");
        return;
      }
      var spec;
      try {
        spec = themedSpec(JSON.parse(source.textContent));
      } catch (err) {
        el.setAttribute("data-aipo-drawn", "error");
        return;
      }
      var options = {
        actions: false,
        renderer: "svg",
        config: themeConfig(),
        tooltip: { theme: dark ? "dark" : "light" }
      };
      window
        .vegaEmbed(view, spec, options)
        .then(function (result) {
          el.aipoEmbed = result;
          el.setAttribute("data-aipo-drawn", "done");
          // The scheme changed while this chart was drawing: draw it again.
          if (el.getAttribute("data-aipo-scheme") !== (isDark() ? "dark" : "light")) redrawForScheme();
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

  // Material sets data-md-color-scheme on <body> when the reader toggles the palette (or, in
  // the automatic scheme, when the system's preference changes): redraw every chart drawn in
  // the other scheme.
  function redrawForScheme() {
    var scheme = isDark() ? "dark" : "light";
    document.querySelectorAll(".aipo-chart[data-aipo-drawn]").forEach(function (el) {
      if (el.getAttribute("data-aipo-scheme") === scheme) return;
      if (el.getAttribute("data-aipo-drawn") === "pending") return;
      if (el.aipoEmbed && typeof el.aipoEmbed.finalize === "function") el.aipoEmbed.finalize();
      el.aipoEmbed = null;
      var view = el.querySelector(".aipo-chart-view");
      if (view) view.textContent = "";
      el.querySelectorAll(".aipo-chart-error").forEach(function (note) { note.remove(); });
      el.removeAttribute("data-aipo-drawn");
    });
    drawCharts(document);
  }

  function watchScheme() {
    if (watchScheme.done || typeof MutationObserver !== "function") return;
    watchScheme.done = true;
    new MutationObserver(redrawForScheme).observe(document.body, {
      attributes: true,
      attributeFilter: ["data-md-color-scheme"]
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
    watchScheme();
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
