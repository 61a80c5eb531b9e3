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

  // A page opened from disk (file://) may not fetch files, so a chart's data URL draws axes and
  // no data there; it may load scripts. Every chart CSV has a script copy beside it (kpis.csv ->
  // kpis.js, written by aipo_site/render/pages.py) that calls aipoData() with the CSV's text; on
  // file:// the data is loaded that way and given to the chart inline. Over HTTP the chart
  // fetches the CSV itself, as before.
  var dataScripts = {};

  window.aipoData = function (script, text) {
    var entry = script && dataScripts[script.src];
    if (entry) entry.resolve(text);
  };

  function loadDataScript(csvUrl) {
    var el = document.createElement("script");
    el.src = csvUrl.replace(/\.csv$/, ".js");
    var key = el.src;
    if (dataScripts[key]) return dataScripts[key].promise;
    var entry = {};
    entry.promise = new Promise(function (resolve, reject) {
      entry.resolve = resolve;
      el.onerror = function () {
        delete dataScripts[key];
        reject(new Error("its data file " + key.split("/").pop() + " could not be loaded"));
      };
    });
    dataScripts[key] = entry;
    document.head.appendChild(el);
    return entry.promise;
  }

  // Vega-Lite parses inline data with formula transforms, once per layer that reads it, and a
  // dataset several layers share is parsed again: a date pattern applied to a parsed date gives
  // null. "date" (ISO dates, which are UTC) parses the CSV's YYYY-MM-DD values to the same
  // instants and leaves a parsed date unchanged.
  function inlineFormat(format) {
    var out = Object.assign({ type: "csv" }, format || {});
    if (out.parse && typeof out.parse === "object") {
      var parse = {};
      Object.keys(out.parse).forEach(function (field) {
        var type = out.parse[field];
        parse[field] = type === "utc:'%Y-%m-%d'" ? "date" : type;
      });
      out.parse = parse;
    }
    return out;
  }

  function withDataInline(spec) {
    if (location.protocol !== "file:") return Promise.resolve(spec);
    var jobs = [];
    (function walk(node) {
      if (Array.isArray(node)) { node.forEach(walk); return; }
      if (!node || typeof node !== "object") return;
      Object.keys(node).forEach(function (key) {
        var value = node[key];
        if (key === "data" && value && typeof value.url === "string") {
          var url = new URL(value.url, document.baseURI).href;
          jobs.push(loadDataScript(url).then(function (text) {
            var data = { values: text, format: inlineFormat(value.format) };
            if (value.name) data.name = value.name;
            node[key] = data;
          }));
        } else if (key !== "values") {
          walk(value);
        }
      });
    })(spec);
    return Promise.all(jobs).then(function () { return spec; });
  }

  // --- The data as a table, on request (each chart's usermeta.aipoTable, aipo_site/render/charts.py)

  function parseCsv(text) {
    var rows = [], row = [], field = "", quoted = false;
    for (var i = 0; i < text.length; i++) {
      var ch = text[i];
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') { field += '"'; i++; } else { quoted = false; }
        } else {
          field += ch;
        }
      } else if (ch === '"') {
        quoted = true;
      } else if (ch === ",") {
        row.push(field); field = "";
      } else if (ch === "\n") {
        row.push(field); rows.push(row); row = []; field = "";
      } else if (ch !== "\r") {
        field += ch;
      }
    }
    if (field !== "" || row.length) { row.push(field); rows.push(row); }
    return rows;
  }

  function csvText(url) {
    var absolute = new URL(url, document.baseURI).href;
    if (location.protocol === "file:") return loadDataScript(absolute);
    return fetch(absolute).then(function (response) {
      if (!response.ok) throw new Error(url + " answered HTTP " + response.status);
      return response.text();
    });
  }

  // Resolves to {columns: [titles], rows: [[cells]]}.
  function tableData(table) {
    if (!table.url) return Promise.resolve({ columns: table.columns, rows: table.rows });
    return csvText(table.url).then(function (text) {
      var rows = parseCsv(text);
      var header = rows.shift() || [];
      var at = function (name) { return header.indexOf(name); };
      var filter = table.filter ? at(table.filter.field) : -1;
      var picks = table.columns.map(function (c) { return at(c[0]); });
      return {
        columns: table.columns.map(function (c) { return c[1]; }),
        rows: rows
          .filter(function (r) { return filter < 0 || r[filter] === table.filter.equal; })
          .map(function (r) { return picks.map(function (i) { return i < 0 ? "" : r[i]; }); })
      };
    });
  }

  function addDataTable(el, table) {
    if (!table || el.querySelector(".aipo-chart-data")) return;
    var details = document.createElement("details");
    details.className = "aipo-chart-data";
    var summary = document.createElement("summary");
    summary.textContent = "Data as a table";
    details.appendChild(summary);
    details.addEventListener("toggle", function () {
      if (!details.open || details.hasAttribute("data-aipo-filled")) return;
      details.setAttribute("data-aipo-filled", "pending");
      tableData(table).then(function (data) {
        var box = document.createElement("div");
        box.className = "aipo-table-scroll";
        var t = document.createElement("table");
        var head = t.createTHead().insertRow();
        data.columns.forEach(function (title) {
          var th = document.createElement("th");
          th.scope = "col";
          th.textContent = title;
          head.appendChild(th);
        });
        var body = t.createTBody();
        data.rows.forEach(function (cells) {
          var tr = body.insertRow();
          cells.forEach(function (cell) { tr.insertCell().textContent = String(cell); });
        });
        box.appendChild(t);
        details.appendChild(box);
        details.setAttribute("data-aipo-filled", "done");
      }).catch(function (err) {
        var note = document.createElement("p");
        note.className = "aipo-chart-error";
        note.textContent = "The data could not be loaded: " + (err && err.message ? err.message : err);
        details.appendChild(note);
        details.setAttribute("data-aipo-filled", "error");
      });
    });
    el.appendChild(details);
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
        var raw = JSON.parse(source.textContent);
        addDataTable(el, raw.usermeta && raw.usermeta.aipoTable);
        spec = themedSpec(raw);
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
      withDataInline(spec)
        .then(function (inline) { return window.vegaEmbed(view, inline, options); })
        .then(function (result) {
          el.aipoEmbed = result;
          // The view's container carries the chart's description (its key numbers) as its
          // accessible name; the drawn marks, read one by one, would say less: hide them.
          var svg = view.querySelector("svg");
          if (svg) svg.setAttribute("aria-hidden", "true");
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

  // onSort(index, numeric, ascending), when given, sorts instead of reordering the table's rows
  // (a dashboard split into pages sorts every model of its index).
  function makeSortable(table, onSort) {
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
        if (onSort) { onSort(index, numeric, ascending); return; }
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

  // --- A dashboard split into pages (render/pages.py, render_dashboard_pages): each page holds
  // page_size rows of the model table and a pager of links, so it reads without JavaScript.
  // With it, the filters and the sorting apply to every model: the page loads the model index
  // (dashboard-index.js, a script so that it loads from disk too) on the first filter or sort,
  // and draws the matching rows from it, page_size at a time, with a pager of its own.

  function node(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (text !== undefined && text !== null) el.textContent = text;
    return el;
  }

  // One index row (see dashboard_index in render/pages.py) as the table row the page draws.
  function indexRow(data, r, modelUrl) {
    var level = data.levels[r[2]];
    var tr = document.createElement("tr");
    tr.className = "aipo-row-" + level[1];
    tr.setAttribute("data-status", level[0]);
    tr.setAttribute("data-unit", data.units[r[7]]);
    tr.setAttribute("data-model", r[0]);
    function cell(label, value) {
      var td = document.createElement("td");
      td.setAttribute("data-label", label);
      if (value !== undefined) td.setAttribute("data-value", String(value));
      tr.appendChild(td);
      return td;
    }
    function add(td) {
      for (var i = 1; i < arguments.length; i++) {
        var child = arguments[i];
        td.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    }
    var td = cell("Model", r[1]);
    var link = node("a");
    link.href = modelUrl.replace("{id}", encodeURIComponent(r[0]));
    link.appendChild(node("strong", null, r[1]));
    add(td, link, node("br"), node("code", "aipo-quiet", r[0]));
    td = cell("Status", r[2]);
    add(td, node("span", "aipo-pill aipo-pill-" + level[1], level[0]));
    if (r[3]) add(td, node("br"), node("span", "aipo-quiet", r[3] === "?" ? "since: unknown" : "since " + r[3]));
    [[4, "Performing?"], [5, "Governed?"]].forEach(function (q) {
      var answer = data.answers[r[q[0]]];
      var c = cell(q[1], answer[2]);
      c.className = "aipo-verdict-cell";
      c.setAttribute("data-answer", answer[3]);
      add(c, node("span", "aipo-pill aipo-pill-answer aipo-answer-" + answer[1], answer[0]));
    });
    cell("Stage", r[6]).textContent = data.stages[r[6]];
    cell("Business unit").textContent = data.units[r[7]];
    cell("AI Product Owner").textContent = data.owners[r[8]];
    td = cell("KPIs needing attention", r[9].length);
    r[9].forEach(function (k) { add(td, node("span", "aipo-pill aipo-pill-" + data.levels[k[1]][1], k[0]), " "); });
    if (!r[9].length) add(td, node("span", "aipo-quiet", "none"));
    td = cell("Compliance", r[10] * 1000 + r[11]);
    if (r[10]) add(td, node("span", "aipo-pill aipo-pill-breach", r[10] + " breach"), " ");
    if (r[11]) add(td, node("span", "aipo-pill aipo-pill-warn", r[11] + " warn"));
    if (!r[10] && !r[11]) add(td, node("span", "aipo-quiet", "none"));
    if (r[12].length) {
      add(td, node("br"), node("span", "aipo-quiet", r[12].map(function (g) { return data.gaps[g]; }).join(", ")));
    }
    var drift = r[13];
    td = cell("Data drift", drift ? drift[2] : -1);
    if (drift) {
      var dl = data.levels[drift[0]];
      add(td, node("span", "aipo-pill aipo-pill-" + dl[1], dl[0]));
      if (drift[1]) add(td, node("br"), node("span", "aipo-quiet", drift[1] + " of inputs"));
    } else {
      add(td, node("span", "aipo-quiet", "not monitored"));
    }
    var re = r[14];
    td = cell("Retraining", re[1] || "9999");
    if (re[3] && re[0]) add(td, "last " + re[0], node("br"));
    if (re[1]) {
      add(td, "next " + re[1]);
      if (re[2]) add(td, " ", node("span", "aipo-pill aipo-pill-breach", "overdue"));
    } else if (!re[3]) {
      add(td, node("span", "aipo-missing", "no schedule"));
    }
    td = cell("Escalation", r[15][0]);
    if (r[15][1]) td.textContent = r[15][1]; else add(td, node("span", "aipo-quiet", "\u2014"));
    return tr;
  }

  // What the text filter matches in an index row: the words its table row shows.
  function indexText(data, r) {
    var re = r[14];
    return [
      r[0], r[1], data.levels[r[2]][0], r[3], data.answers[r[4]][0], data.answers[r[5]][0],
      data.stages[r[6]], data.units[r[7]], data.owners[r[8]],
      r[9].map(function (k) { return k[0]; }).join(" "),
      r[12].map(function (g) { return data.gaps[g]; }).join(" "),
      r[13] ? data.levels[r[13][0]][0] + " " + r[13][1] : "not monitored",
      re[0], re[1], re[2] ? "overdue" : "", re[3] ? "" : "no schedule", r[15][1]
    ].join(" ").toLowerCase();
  }

  // The value each column sorts an index row by: the data-value its table cell carries (or
  // its text), as makeSortable reads them.
  function indexKey(data, r, column) {
    switch (column) {
      case 0: return r[1];
      case 1: return r[2];
      case 2: return data.answers[r[4]][2];
      case 3: return data.answers[r[5]][2];
      case 4: return r[6];
      case 5: return data.units[r[7]];
      case 6: return data.owners[r[8]];
      case 7: return r[9].length;
      case 8: return r[10] * 1000 + r[11];
      case 9: return r[13] ? r[13][2] : -1;
      case 10: return r[14][1] || "9999";
      default: return r[15][0];
    }
  }

  function loadIndex(table) {
    if (!table.aipoIndex) {
      var url = new URL(table.getAttribute("data-aipo-index"), document.baseURI).href;
      table.aipoIndex = loadDataScript(url).then(function (data) {
        data.text = data.rows.map(function (r) { return indexText(data, r); });
        return data;
      }, function (err) {
        table.aipoIndex = null;
        throw err;
      });
    }
    return table.aipoIndex;
  }

  function setupDashboard(root) {
    var table = root.querySelector(".aipo-dashboard table");
    if (!table) return;
    var paged = table.hasAttribute("data-aipo-index");
    // The sorting of a dashboard split into pages: every model's index row (sortPaged below).
    var view = { column: -1, numeric: false, ascending: true, page: 0 };
    makeSortable(table, paged ? function (column, numeric, ascending) {
      view.column = column;
      view.numeric = numeric;
      view.ascending = ascending;
      view.page = 0;
      apply();
    } : null);
    if (table.hasAttribute("data-aipo-filters")) return;
    table.setAttribute("data-aipo-filters", "");
    var input = root.querySelector(".aipo-filter-input");
    var select = root.querySelector(".aipo-unit-filter");
    var buttons = root.querySelectorAll("[data-aipo-filter]");
    var empty = root.querySelector(".aipo-empty-filter");
    var summary = root.querySelector(".aipo-filter-summary");
    var clear = root.querySelector(".aipo-filter-clear");
    var rows = table.tBodies[0].rows;
    var serverRows = Array.prototype.slice.call(rows);
    var serverPager = root.querySelector(".aipo-pager");
    var total = paged ? parseInt(table.getAttribute("data-aipo-total"), 10) : rows.length;
    var pageSize = paged ? parseInt(table.getAttribute("data-aipo-page-size"), 10) : rows.length;
    var clientPager = null;
    var pagerFocus = "";  // the pager button to focus once the next page is drawn
    var collator = new Intl.Collator(undefined, { sensitivity: "base" });
    // The filters live in the URL's query string (documented in the guide, "The dashboard"):
    // ?status=BREACH&unit=Payments&text=fraud. Not "q": Material's search opens on that one.
    // Values are only ever compared, set as form values or written as text, never as HTML.
    var state = { status: "", unit: "", text: "" };

    function pressButtons() {
      buttons.forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.getAttribute("data-aipo-filter") === state.status));
      });
    }

    function selectUnit() {
      if (!select) return;
      var found = Array.prototype.some.call(select.options, function (o) { return o.value === state.unit; });
      if (!found) {
        // A unit no model belongs to (an old link, a typo): shown as chosen, matching nothing.
        var option = document.createElement("option");
        option.value = state.unit;
        option.textContent = state.unit + " (no models)";
        select.appendChild(option);
      }
      select.value = state.unit;
    }

    function describe(shown) {
      var parts = [];
      if (state.status) parts.push("status " + state.status);
      if (state.unit) parts.push("business unit " + state.unit);
      if (state.text) parts.push("text \u201c" + state.text + "\u201d");
      if (clear) clear.hidden = parts.length === 0;
      if (!summary) return;
      summary.textContent = parts.length
        ? "Showing " + shown.toLocaleString("en") + " of " + total.toLocaleString("en") + " models: " +
          parts.join(" \u00b7 ") + "."
        : "";
    }

    // The pager of the rows drawn from the index: buttons, since these pages have no address.
    function showClientPager(count) {
      var pages = Math.max(1, Math.ceil(count / pageSize));
      if (!clientPager) {
        clientPager = node("nav", "aipo-pager aipo-pager-client");
        clientPager.setAttribute("aria-label", "Pages of the matching models");
        var wrap = table.closest(".aipo-dashboard") || table;
        wrap.parentNode.insertBefore(clientPager, wrap.nextSibling);
      }
      clientPager.textContent = "";
      clientPager.hidden = count <= pageSize;
      function button(label, page, rel) {
        var b = node("button", "aipo-pager-button", label);
        b.type = "button";
        b.setAttribute("data-rel", rel);
        b.disabled = page < 0 || page >= pages || page === view.page;
        b.addEventListener("click", function () {
          view.page = page;
          pagerFocus = rel;
          apply();
          table.scrollIntoView({ block: "start" });
        });
        return b;
      }
      var first = view.page * pageSize + 1;
      var last = Math.min(count, first + pageSize - 1);
      var where = node("span", "aipo-pager-where", "Page " + (view.page + 1) + " of " + pages + " ");
      where.appendChild(node("span", "aipo-quiet", "(models " + first.toLocaleString("en") + "\u2013" +
        last.toLocaleString("en") + " of " + count.toLocaleString("en") + ")"));
      [button("\u00ab First", 0, "first"), button("\u2039 Previous", view.page - 1, "prev"), where,
       button("Next \u203a", view.page + 1, "next"), button("Last \u00bb", pages - 1, "last")]
        .forEach(function (el, i) {
          if (i) clientPager.appendChild(document.createTextNode(" "));
          clientPager.appendChild(el);
        });
      // The buttons were drawn again: keep the keyboard on the pager (the same button, or the
      // first one still enabled), without scrolling away from the new rows.
      if (pagerFocus) {
        var again = clientPager.querySelector('[data-rel="' + pagerFocus + '"]:not(:disabled)') ||
                    clientPager.querySelector("button:not(:disabled)");
        pagerFocus = "";
        if (again) again.focus({ preventScroll: true });
      }
    }

    function showServerRows() {
      var body = table.tBodies[0];
      if (body.getAttribute("data-aipo-drawn") === null) return;
      body.removeAttribute("data-aipo-drawn");
      body.textContent = "";
      serverRows.forEach(function (row) { row.hidden = false; body.appendChild(row); });
      if (serverPager) serverPager.hidden = false;
      if (clientPager) clientPager.hidden = true;
    }

    function applyPaged() {
      var active = state.status || state.unit || state.text || view.column >= 0;
      if (!active) {
        showServerRows();
        if (empty) empty.hidden = true;
        describe(total);
        return;
      }
      table.setAttribute("aria-busy", "true");
      loadIndex(table).then(function (data) {
        var text = state.text.toLowerCase();
        var status = state.status;
        var unit = state.unit;
        var matches = [];
        data.rows.forEach(function (r, i) {
          if (status && data.levels[r[2]][0] !== status) return;
          if (unit && data.units[r[7]] !== unit) return;
          if (text && data.text[i].indexOf(text) === -1) return;
          matches.push(r);
        });
        if (view.column >= 0) {
          var column = view.column, numeric = view.numeric, sign = view.ascending ? 1 : -1;
          var keyed = matches.map(function (r, i) { return [indexKey(data, r, column), i, r]; });
          keyed.sort(function (a, b) {
            var cmp = numeric ? (parseFloat(a[0]) || 0) - (parseFloat(b[0]) || 0)
                              : collator.compare(String(a[0]), String(b[0]));
            return sign * cmp || a[1] - b[1];
          });
          matches = keyed.map(function (k) { return k[2]; });
        }
        var pages = Math.max(1, Math.ceil(matches.length / pageSize));
        if (view.page >= pages) view.page = pages - 1;
        var body = table.tBodies[0];
        var fragment = document.createDocumentFragment();
        var modelUrl = table.getAttribute("data-aipo-model-url") || "";
        matches.slice(view.page * pageSize, (view.page + 1) * pageSize).forEach(function (r) {
          fragment.appendChild(indexRow(data, r, modelUrl));
        });
        body.textContent = "";
        body.appendChild(fragment);
        body.setAttribute("data-aipo-drawn", "");
        if (serverPager) serverPager.hidden = true;
        showClientPager(matches.length);
        if (empty) empty.hidden = matches.length !== 0;
        describe(matches.length);
        table.removeAttribute("aria-busy");
      }).catch(function (err) {
        table.removeAttribute("aria-busy");
        if (summary) {
          summary.textContent = "The filters could not load the model index: " +
            (err && err.message ? err.message : err) + ". This page shows its own rows only.";
        }
      });
    }

    function apply() {
      if (paged) { applyPaged(); return; }
      var text = state.text.toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(rows, function (row) {
        var ok = (!state.status || row.getAttribute("data-status") === state.status) &&
                 (!state.unit || row.getAttribute("data-unit") === state.unit) &&
                 (!text || row.textContent.toLowerCase().indexOf(text) !== -1);
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (empty) empty.hidden = shown !== 0;
      describe(shown);
    }

    function writeUrl() {
      try {
        var url = new URL(window.location.href);
        Object.keys(state).forEach(function (key) {
          if (state[key]) url.searchParams.set(key, state[key]);
          else url.searchParams.delete(key);
        });
        if (url.href !== window.location.href) window.history.replaceState(window.history.state, "", url.href);
      } catch (error) {
        // A browser that refuses to rewrite this URL: the filters still work, unshared.
      }
    }

    function readUrl() {
      var params;
      try { params = new URLSearchParams(window.location.search); } catch (error) { return; }
      var value = function (key) { return (params.get(key) || "").trim().slice(0, 200); };
      var status = value("status").toUpperCase();
      // A status no button offers is kept as it is: it matches no model, and no button is pressed.
      state.status = status;
      state.unit = value("unit");
      state.text = value("text");
    }

    function changed() { view.page = 0; apply(); writeUrl(); }

    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        state.status = button.getAttribute("data-aipo-filter");
        pressButtons();
        changed();
      });
    });
    if (input) {
      input.addEventListener("input", function () { state.text = input.value.trim(); changed(); });
    }
    if (select) {
      select.addEventListener("change", function () { state.unit = select.value; changed(); });
    }
    if (clear) {
      clear.addEventListener("click", function () {
        state.status = state.unit = state.text = "";
        if (input) input.value = "";
        selectUnit();
        pressButtons();
        changed();
      });
    }

    readUrl();
    if (input) input.value = state.text;
    selectUnit();
    pressButtons();
    apply();
  }

  // --- Folded sections on phones. A model page's long sections (those with a one-line summary
  // for print, aipo-print-summary, followed by their body, aipo-print-skip) show the summary and
  // a "Show details" button below 45em (aipo.css); the body opens on request, or by itself when
  // the address points into it (#risks from the dashboard's risk map, a search result).

  var PHONE = "(max-width: 44.9375em)";

  function setFold(button, open) {
    var body = document.getElementById(button.getAttribute("aria-controls"));
    if (!body) return;
    body.classList.toggle("aipo-unfolded", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "Hide details" : "Show details";
  }

  function unfoldTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) return;
    var body = target.closest(".aipo-print-skip");
    if (!body && target.matches("h2")) {
      var next = target.nextElementSibling;
      if (next && next.matches(".aipo-print-summary")) next = next.nextElementSibling;
      if (next && next.matches(".aipo-fold-toggle")) next = next.nextElementSibling;
      if (next && next.matches(".aipo-print-skip")) body = next;
    }
    if (!body || !body.id) return;
    var button = document.querySelector('.aipo-fold-toggle[aria-controls="' + body.id + '"]');
    if (button) setFold(button, true);
    if (window.matchMedia(PHONE).matches) target.scrollIntoView();
  }

  function setupFolds(root) {
    var n = 0;
    root.querySelectorAll(".aipo-print-summary").forEach(function (summary) {
      var body = summary.nextElementSibling;
      if (!body || !body.matches(".aipo-print-skip") || body.hasAttribute("data-aipo-fold")) return;
      n += 1;
      body.setAttribute("data-aipo-fold", "");
      body.id = body.id || "aipo-fold-" + (summary.getAttribute("data-section") || n);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "aipo-fold-toggle";
      button.setAttribute("aria-controls", body.id);
      setFold(button, false);
      button.addEventListener("click", function () {
        setFold(button, button.getAttribute("aria-expanded") !== "true");
      });
      summary.parentNode.insertBefore(button, body);
    });
    if (!n) return;
    document.body.classList.add("aipo-folds");
    unfoldTarget();
    if (!setupFolds.listening) {
      setupFolds.listening = true;
      window.addEventListener("hashchange", unfoldTarget);
    }
  }

  // --- Print: a KPI chart prints small, two to a row (aipo.css). Scaled down from its screen
  // width its labels would be about 4 pt; it is drawn at print size for the printout instead,
  // and at its own size again after (beforeprint/afterprint fire for the browser's Print and
  // for headless printing to PDF alike).
  var PRINT_SIZE = { width: 300, height: 70 };

  // Each drawn KPI chart's view and its size as drawn (the SVG's, axes and legend included: what
  // view.width() sets with the charts' "fit" autosize).
  function kpiViews() {
    var out = [];
    document.querySelectorAll(".aipo-kpi-charts .aipo-chart").forEach(function (el) {
      var svg = el.querySelector(".aipo-chart-view svg");
      if (!el.aipoEmbed || !el.aipoEmbed.view || !svg) return;
      out.push({
        view: el.aipoEmbed.view,
        width: +svg.getAttribute("width"),
        height: el.aipoEmbed.view.height()
      });
    });
    return out;
  }

  function watchPrint() {
    if (watchPrint.done) return;
    watchPrint.done = true;
    var saved = [];
    window.addEventListener("beforeprint", function () {
      if (saved.length) return;
      saved = kpiViews();
      saved.forEach(function (size) {
        size.view.width(PRINT_SIZE.width).height(PRINT_SIZE.height).run();
      });
    });
    window.addEventListener("afterprint", function () {
      saved.forEach(function (size) { size.view.width(size.width).height(size.height).run(); });
      saved = [];
    });
  }

  function init() {
    watchScheme();
    watchPrint();
    drawCharts(document);
    setupDashboard(document);
    setupFolds(document);
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
