"""The hostile fixture in Chromium: no payload runs, none becomes structure, all show as text.

The repository from tests/hostile.py (every text field of several charters, of the policy and of
the metric and drift files carries payloads) is built once with a real `mkdocs build --strict`,
served from 127.0.0.1 and opened in one headless Chromium context whose init script stubs
``alert``/``confirm``/``prompt``/``print``/``open`` and traps writes to ``window.__pwned``. Each
page is visited once: loaded, its charts drawn, then every focusable element focused, every
element hovered (synthetic pointer events, plus real mouse moves over payload text and chart
marks), every summary and in-page element that is not a link clicked, and the Tab key pressed
through the page. The tests below then read that visit.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import VIEWPORT, SiteServer, build_site
from hostile import (
    DASHBOARD_TEXT_FIELDS,
    FIXED_H2,
    FIXED_H3,
    MARKDOWN_FIELD_ATTRS,
    MARKDOWN_FIELD_TAGS,
    MARKER,
    MODEL_PAGE_TEXT_FIELDS,
    N_MODELS,
    SITE_NAME,
    HostileRepo,
    build_hostile_repo,
    norm,
    shown,
)

from aipo_site.model.charter import Charter
from aipo_site.model.policy import Policy

pytestmark = pytest.mark.browser

CHART_TIMEOUT_MS = 45_000
DASHBOARD_TITLE = "Portfolio dashboard"
# The dashboard's own section headings (dashboard.md.j2).
DASHBOARD_H2 = {"Status by business unit", "Open risks", "Models"}
HOME_TITLE = "Hostile fixture portal"

# Scripts a page may hold: Material's bundle and aipo's assets (by path), JSON data islands
# (Material's config, chart specs) and Material's own inline bootstrap snippets (by prefix).
SCRIPT_SRC = [
    r"^/assets/javascripts/bundle\.[0-9a-f]+\.min\.js$",
    r"^/assets/aipo/vega\.js$",
    r"^/assets/aipo/aipo\.js$",
]
INLINE_SCRIPTS = [
    "__md_scope=new URL(",
    "var palette=__md_get(",
    "var target=document.getElementById(location.hash.slice(1))",
]

INIT_SCRIPT = """(() => {
  let value = 0;
  const log = [];
  const record = (what) => {
    value = 1;
    log.push(what + ' @ ' + String(new Error().stack).split('\\n').slice(2, 4).join(' | '));
    try { if (window.top !== window) window.top.__pwned = 1; } catch (e) {}
  };
  Object.defineProperty(window, '__pwned', {
    configurable: false,
    get() { return value; },
    set(v) { record('__pwned=' + String(v)); },
  });
  Object.defineProperty(window, '__pwnedLog', { value: log });
  for (const name of ['alert', 'confirm', 'prompt', 'print', 'open']) {
    window[name] = function (...args) { record(name + '(' + args.map(String).join(', ') + ')'); };
  }
})();"""

INSPECT = """(cfg) => {
  const problems = [];
  const here = new URL(location.href);
  const short = (el) => (el.outerHTML || String(el)).replace(/\\s+/g, ' ').slice(0, 200);
  const protocol = (value) => {
    try { return new URL(value.trim(), document.baseURI).protocol; } catch (e) { return ''; }
  };
  // Scripts
  for (const s of document.querySelectorAll('script')) {
    const type = (s.getAttribute('type') || '').trim().toLowerCase();
    if (s.namespaceURI !== 'http://www.w3.org/1999/xhtml') {
      problems.push('script outside HTML (SVG/MathML): ' + short(s));
    } else if (s.hasAttribute('src')) {
      const u = new URL(s.getAttribute('src'), document.baseURI);
      const ok = u.origin === here.origin
        && cfg.scriptSrc.some((p) => new RegExp(p).test(u.pathname));
      if (!ok || (type && type !== 'text/javascript'))
        problems.push('unexpected script: ' + short(s));
    } else if (type === 'application/json') {
      const parent = s.parentElement;
      if (!(s.id === '__config' || (parent && parent.classList.contains('aipo-chart'))))
        problems.push('unexpected JSON script: ' + short(s));
      try { JSON.parse(s.textContent); } catch (e) {
        problems.push('JSON script does not parse: ' + short(s));
      }
    } else {
      const text = s.textContent.trim();
      if (!cfg.inlineScripts.some((p) => text.startsWith(p)) || /__pwned|alert\\(/.test(text))
        problems.push('unexpected inline script: ' + short(s));
    }
  }
  // Attributes: event handlers, autofocus, script-bearing attributes, dangerous URLs
  const urlAttrs = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster',
    'background', 'cite', 'ping', 'codebase', 'longdesc', 'manifest', 'icon', 'lowsrc', 'values',
    'to', 'from', 'by']);
  const navigating = new Set(['a', 'area', 'iframe', 'frame', 'object', 'embed', 'form', 'base',
    'link', 'script', 'use', 'animate', 'set', 'image', 'feimage', 'button', 'input']);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName.toLowerCase();
    for (const a of el.attributes) {
      const n = a.name.toLowerCase();
      const v = a.value;
      if (n.startsWith('on'))
        problems.push(`<${tag}> has an event handler ${n}="${v.slice(0, 80)}": ${short(el)}`);
      if (n === 'autofocus') problems.push(`<${tag}> has autofocus: ${short(el)}`);
      if (n === 'srcdoc' || n === 'formaction' || n === 'http-equiv')
        problems.push(`<${tag}> has ${n}: ${short(el)}`);
      if (!/^[a-z_:][a-z0-9_:.-]*$/.test(n) || /pwn|hx\\d{4}|javascript|vbscript/.test(n))
        problems.push(`<${tag}> has an attribute made from text: ${n}: ${short(el)}`);
      if (n === 'style' && /javascript:|expression\\(|behavior:/i.test(v))
        problems.push(`<${tag}> style runs script: ${short(el)}`);
      if (urlAttrs.has(n) || n.endsWith(':href')) {
        const p = protocol(v);
        if (p === 'javascript:' || p === 'vbscript:')
          problems.push(`<${tag} ${n}> is a ${p} URL: ${short(el)}`);
        if (p === 'data:' && (navigating.has(tag) || !/^\\s*data:image\\//i.test(v)))
          problems.push(`<${tag} ${n}> is a data: URL: ${short(el)}`);
      }
    }
    // Resolved properties (what a click or a load would use)
    for (const prop of ['href', 'src', 'action', 'data']) {
      const v = el[prop];
      if (typeof v === 'string' && v) {
        const p = protocol(v);
        if (p === 'javascript:' || p === 'vbscript:' || (p === 'data:' && navigating.has(tag)))
          problems.push(`<${tag}>.${prop} resolves to ${p}: ${short(el)}`);
      }
    }
  }
  // Elements no payload may create
  for (const t of ['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal', 'base',
                   'math', 'marquee', 'xmp', 'plaintext', 'listing', 'noembed', 'noframes',
                   'textarea', 'select', 'template', 'foreignobject', 'video', 'audio'])
    for (const el of document.getElementsByTagName(t))
      // The dashboard's business-unit filter (its options are text only) is the template's.
      if (!(t === 'select' && el.matches('.aipo-dashboard-tools select.aipo-unit-filter')
            && el.getAttributeNames().join() === 'class'))
        problems.push(`<${t}> element: ${short(el)}`);
  for (const el of document.querySelectorAll(
      'body meta, body link, body title, body noscript, body style:not(#vg-tooltip-style)'))
    problems.push(`<${el.localName}> in the body: ${short(el)}`);
  for (const el of document.querySelectorAll('form:not(.md-search__form)'))
    if (!(el.matches('.aipo-chart-view form.vega-bindings')
          && el.getAttributeNames().join() === 'class' && !el.children.length))
      problems.push(`unexpected <form>: ${short(el)}`);
  const inputs = '.md-toggle, .md-search__input, .md-option, .aipo-filter-input';
  for (const el of document.querySelectorAll(`input:not(${inputs})`))
    problems.push(`unexpected <input>: ${short(el)}`);
  for (const el of document.querySelectorAll('img'))
    if (!el.closest('.aipo-badge')) problems.push(`unexpected <img>: ${short(el)}`);
  const article = document.querySelector('article');
  if (article) {
    for (const el of article.querySelectorAll('svg'))
      if (!el.closest('.aipo-chart-view')) problems.push(`<svg> in the page text: ${short(el)}`);
    for (const el of article.querySelectorAll('button'))
      if (!el.closest('.aipo-counts') && !el.matches('.aipo-dashboard-tools > .aipo-filter-clear')
          && !(el.matches('button.aipo-fold-toggle') && /^(Show|Hide) details$/.test(el.textContent)
               && el.getAttributeNames().sort().join() === 'aria-controls,aria-expanded,class,type'))
        problems.push(`unexpected <button>: ${short(el)}`);
    for (const el of article.querySelectorAll('details')) {
      const s = el.querySelector(':scope > summary');
      // A chart's "Data as a table" (aipo.js builds it, with text only, under the chart).
      if (s && el.matches('.aipo-chart > details.aipo-chart-data')
          && s.textContent === 'Data as a table') continue;
      // The Regulation section's decision path and one coverage table per framework.
      if (s && el.matches('.aipo-regulation > details.aipo-path')
          && s.textContent === 'Decision path') continue;
      if (s && el.matches('.aipo-regulation > details.aipo-coverage')
          && /^(EU AI Act|GDPR|NIST AI RMF 1\\.0|ISO\\/IEC 42001) \\d+ (obligations|subcategories|controls): \\d+ evidenced, \\d+ partial, \\d+ missing$/.test(s.textContent.trim())) continue;
      if (!s || s.textContent.trim() !== 'Technical detail' || el.parentElement.closest('details'))
        problems.push(`<details> not from the template: ${short(el)}`);
    }
  }
  return problems;
}"""

# Headings with the text a reader sees (no permalink anchor), and the Markdown-field check.
READ = """(cfg) => {
  const visible = (h) => [...h.childNodes]
    .filter((n) => !(n.classList && n.classList.contains('headerlink')))
    .map((n) => n.textContent).join('');
  const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => {
    const box = h.closest('.aipo-summary, .aipo-notes');
    return {
      tag: h.localName, text: visible(h), inArticle: !!h.closest('article'),
      html: h.outerHTML.slice(0, 200), field: box ? box.className.replace('aipo-', '') : '',
    };
  });
  const markdown = [];
  // What Material's own script adds around tables and code blocks (not from the text).
  const material = (el) => (el.localName === 'div'
      && /^md-typeset__(scrollwrap|table)$/.test(el.className) && el.querySelector('table'));
  for (const box of document.querySelectorAll('.aipo-summary, .aipo-notes')) {
    for (const el of box.querySelectorAll('*')) {
      const tag = el.localName;
      if (material(el)) continue;
      if (!cfg.mdTags.includes(tag))
        markdown.push(`<${tag}> in .${box.className}: ${el.outerHTML.slice(0, 160)}`);
      const allowed = cfg.mdAttrs[tag] || [];
      for (const a of el.attributes)
        if (!allowed.includes(a.name)
            && !(tag === 'pre' && a.name === 'id' && /^__code_\\d+$/.test(a.value)))
          markdown.push(`<${tag} ${a.name}="${a.value.slice(0, 60)}"> in .${box.className}`);
      if (tag === 'a' && el.hasAttribute('href')) {
        let p = '';
        try { p = new URL(el.getAttribute('href'), document.baseURI).protocol; } catch (e) {}
        if (!['http:', 'https:', 'mailto:'].includes(p))
          markdown.push(`link to ${p} in .${box.className}: ${el.outerHTML.slice(0, 160)}`);
      }
    }
  }
  // Text nodes (not scripts), one per segment: a value shown as text is inside one of them.
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement && n.parentElement.closest('script, style, template')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  while (walker.nextNode()) texts.push(walker.currentNode.data);
  const nav = document.querySelector('.md-nav--primary');
  const charts = [...document.querySelectorAll('.aipo-chart')].map((el) => ({
    chart: el.getAttribute('data-chart'), drawn: el.getAttribute('data-aipo-drawn'),
    error: (el.querySelector('.aipo-chart-error') || {}).textContent || '',
    // the axis titles as drawn (a KPI's unit is the y-axis title)
    label: [...el.querySelectorAll('.role-axis-title text')].map((t) => t.textContent).join(' | '),
  }));
  return {
    title: document.title, headings, markdown, texts, charts,
    nav: nav ? nav.textContent : '',
    navLabels: nav
      ? [...nav.querySelectorAll('.md-nav__link, .md-nav__title')].map((e) => e.textContent)
      : [],
  };
}"""

INTERACT = """async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const counts = { focused: 0, hovered: 0, clicked: 0 };
  const focusable = 'a[href], area[href], button, input, select, textarea, summary, iframe, '
    + 'object, embed, [tabindex], [contenteditable], details, [autofocus]';
  for (const el of document.querySelectorAll(focusable)) {
    try { el.focus({ preventScroll: true }); counts.focused++; el.blur(); } catch (e) {}
  }
  const events = ['pointerover', 'pointerenter', 'mouseover', 'mouseenter', 'pointermove',
                  'mousemove', 'mouseout', 'mouseleave'];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    const init = { bubbles: true, cancelable: true, composed: true, view: window,
                   clientX: r.left + r.width / 2, clientY: r.top + r.height / 2 };
    for (const type of events) {
      try {
        const Event = type.startsWith('pointer') ? PointerEvent : MouseEvent;
        el.dispatchEvent(new Event(type, init));
      } catch (e) {}
    }
    counts.hovered++;
  }
  await sleep(50);
  // Click: every <summary>, and every element of the page text that is not (inside) a link or
  // a form control; links navigate and are checked by their URL instead.
  const targets = [...document.querySelectorAll('summary'),
                   ...document.querySelectorAll('article *, #vg-tooltip-element *')];
  for (const el of targets) {
    if (el.closest('a, input, select, textarea, label, form')) continue;
    try {
      if (typeof el.click === 'function') el.click();
      else el.dispatchEvent(new MouseEvent('click', { bubbles: true, view: window }));
      counts.clicked++;
    } catch (e) {}
  }
  await sleep(100);
  return counts;
}"""

# Where a real mouse goes: elements whose own text holds a payload marker, and chart marks.
POINTS = """(limit) => {
  const out = [];
  const own = (el) => [...el.childNodes].some((n) => n.nodeType === 3 && /hx\\d{4}/.test(n.data));
  const article = document.querySelector('article') || document.body;
  const marked = [...article.querySelectorAll('*')].filter(own);
  const marks = [...document.querySelectorAll(
    '.aipo-chart-view svg .mark-rect path, .aipo-chart-view svg .mark-text text, '
    + '.aipo-chart-view svg .mark-symbol path, .aipo-chart-view svg .role-axis-label text')];
  const step = (list, n) => list
    .filter((_, i) => i % Math.max(1, Math.floor(list.length / n)) === 0).slice(0, n);
  for (const el of [...step(marked, limit), ...step(marks, limit)]) {
    el.scrollIntoView({ block: 'center', inline: 'center' });
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) out.push([r.left + r.width / 2, r.top + r.height / 2]);
  }
  return out;
}"""

ALL_CHARTS_SETTLED = """() => [...document.querySelectorAll('.aipo-chart')].every(
  (el) => ['done', 'error'].includes(el.getAttribute('data-aipo-drawn')))"""


@dataclass
class Visit:
    path: str
    kind: str  # home, dashboard, model, reference
    model: str | None = None
    status: int = 0
    pwned: Any = 0
    pwned_log: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # before and after the interactions
    navigated_to: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    read: dict[str, Any] = field(default_factory=dict)

    def segments(self) -> str:
        """The page's text nodes, each whitespace-collapsed, joined by a separator no value
        holds (so a value must stand in one text node: escaped, not split by elements)."""
        return "\ue000".join(norm(t) for t in self.read.get("texts", []))


@dataclass
class Portal:
    repo: HostileRepo
    site: Path
    server: SiteServer
    context: Any
    visits: dict[str, Visit] = field(default_factory=dict)

    def visit(self, path: str, kind: str, model: str | None = None) -> Visit:
        if path not in self.visits:
            self.visits[path] = _visit(self, path, kind, model)
        return self.visits[path]


def _visit(portal: Portal, path: str, kind: str, model: str | None) -> Visit:
    from urllib.parse import urlsplit

    v = Visit(path, kind, model)
    page = portal.context.new_page()
    server = portal.server

    def on_dialog(dialog: Any) -> None:
        v.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("popup", lambda p: v.popups.append(p.url))
    page.on("pageerror", lambda e: v.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: v.failures.append(f"{r.url}: {r.failure}"))
    page.on(
        "response",
        lambda r: v.failures.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None,
    )

    def on_request(request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob"):
            return
        if parts.scheme not in ("http", "https") or parts.netloc != server.netloc:
            v.foreign.append(request.url)

    page.on("request", on_request)
    cfg = {
        "scriptSrc": SCRIPT_SRC,
        "inlineScripts": INLINE_SCRIPTS,
        "mdTags": sorted(MARKDOWN_FIELD_TAGS),
        "mdAttrs": {k: sorted(a) for k, a in MARKDOWN_FIELD_ATTRS.items()},
    }
    url = server.url + path
    try:
        response = page.goto(url, wait_until="load")
        v.status = response.status if response else 0
        if page.locator(".aipo-chart").count():
            page.wait_for_function(ALL_CHARTS_SETTLED, timeout=CHART_TIMEOUT_MS)
        v.problems += page.evaluate(INSPECT, cfg)
        v.read = page.evaluate(READ, cfg)  # before clicks re-sort or filter anything
        v.counts = page.evaluate(INTERACT)
        for x, y in page.evaluate(POINTS, 12):
            page.mouse.move(x, y)
        page.mouse.move(1, 1)
        page.locator("body").press("Escape")
        for _ in range(30):
            page.keyboard.press("Tab")
        page.wait_for_timeout(300)  # let anything an interaction scheduled run
        if page.url.split("#")[0] != url:
            v.navigated_to = page.url
        else:
            v.problems += [f"after interaction: {p}" for p in page.evaluate(INSPECT, cfg)]
        v.pwned = page.evaluate("() => window.__pwned")
        v.pwned_log = page.evaluate("() => window.__pwnedLog || []")
    finally:
        page.close()
    return v


@pytest.fixture(scope="module")
def hostile_portal(
    tmp_path_factory: pytest.TempPathFactory, chromium_browser: Any
) -> Iterator[Portal]:
    """The hostile fixture built once (`mkdocs build --strict`), served, and one browser context
    with the trap installed."""
    repo = build_hostile_repo(tmp_path_factory.mktemp("hostile-browser") / "repo")
    site = build_site(repo.root, tmp_path_factory.mktemp("hostile-site"))
    server = SiteServer(site)
    context = chromium_browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    context.add_init_script(INIT_SCRIPT)
    try:
        yield Portal(repo, site, server, context)
    finally:
        context.close()
        server.close()


def _page_ids() -> list[Any]:
    ids: list[tuple[str, str, str | None]] = [("", "home", None), ("dashboard/", "dashboard", None)]
    ids += [(f"models/hostile-{i}/", "model", f"hostile-{i}") for i in range(N_MODELS)]
    ids += [("reference/charter/", "reference", None), ("reference/policy/", "reference", None)]
    return [pytest.param(*p, id=p[0].strip("/") or "home") for p in ids]


PAGES = _page_ids()
MODEL_PAGES = [p for p in PAGES if p.values[1] == "model"]


def _where(portal: Portal, text: str, model: str | None = None, path: str | None = None) -> str:
    """Which payloads (model, field, payload name) ``text`` came from: by the markers in it, else
    by the payloads of ``model`` (and field ``path``) whose text holds it."""
    markers = portal.repo.by_marker()
    found = [markers[m] for m in MARKER.findall(text) if m in markers]
    if not found and model:
        needle = norm(max(re.split(r"<[^>]*>", text), key=len))[:60]
        if len(needle) >= 3:
            found = [
                a
                for a in portal.repo.for_model(model)
                if (path is None or a.path == path) and needle in norm(a.value)
            ]
    return "; ".join(f"{a.model} {a.path} [{a.payload}]" for a in found[:6]) or "no marker"


def _field(problem: str) -> str | None:
    match = re.search(r"in \.aipo-(summary|notes)", problem)
    return match.group(1) if match else None


# --- 1. Nothing runs, nothing is injected -------------------------------------------------------


@pytest.mark.parametrize(("path", "kind", "model"), PAGES)
def test_page_is_inert(hostile_portal: Portal, path: str, kind: str, model: str | None) -> None:
    v = hostile_portal.visit(path, kind, model)
    assert v.status == 200
    report = []
    if v.pwned:
        report.append(f"window.__pwned = {v.pwned!r}: " + " || ".join(v.pwned_log))
    report += [f"dialog {d}" for d in v.dialogs]
    report += [f"popup {p}" for p in v.popups]
    report += [f"page error: {e}" for e in v.page_errors]
    if v.navigated_to:
        report.append(f"an interaction navigated to {v.navigated_to}")
    report += [f"{p}  <- {_where(hostile_portal, p)}" for p in dict.fromkeys(v.problems)]
    assert not report, f"{path or 'home'}: hostile text became live:\n" + "\n".join(report)
    assert v.counts.get("hovered", 0) > 100 and v.counts.get("focused", 0) > 5, v.counts


@pytest.mark.parametrize(("path", "kind", "model"), PAGES)
def test_page_requests_nothing_unexpected(
    hostile_portal: Portal, path: str, kind: str, model: str | None
) -> None:
    """A payload that became an element would fetch it (``<img src=x>`` is a 404)."""
    v = hostile_portal.visit(path, kind, model)
    assert v.failures == [], "\n".join(v.failures)
    assert v.foreign == [], "\n".join(v.foreign)


# --- 2. Payload text never becomes a heading ----------------------------------------------------


def _reference_h2(model: type) -> set[str]:
    schema = model.model_json_schema(mode="validation")
    # An object, or text-or-object (a Contact is a key, a name or a mapping).
    return {model.__name__} | {
        name
        for name, d in schema.get("$defs", {}).items()
        if d.get("type") == "object" or any(a.get("type") == "object" for a in d.get("anyOf", []))
    }


@pytest.mark.parametrize(("path", "kind", "model"), PAGES)
def test_no_payload_heading(
    hostile_portal: Portal, path: str, kind: str, model: str | None
) -> None:
    v = hostile_portal.visit(path, kind, model)
    headings = v.read["headings"]
    bad = []
    h1 = [h for h in headings if h["tag"] == "h1"]
    expected_h1 = {
        "home": HOME_TITLE,
        "dashboard": DASHBOARD_TITLE,
        "model": shown(hostile_portal.repo.name(model)) if model else "",
        "reference": "Charter reference" if "charter" in path else "Policy reference",
    }[kind]
    if [norm(h["text"]) for h in h1] != [expected_h1]:
        bad.append(f"H1s {[h['text'] for h in h1]!r}, expected only {expected_h1!r}")
    allowed_h2 = {
        "model": FIXED_H2,
        "dashboard": DASHBOARD_H2,
        "reference": _reference_h2(Charter if "charter" in path else Policy),
    }.get(kind, set())
    for h in headings:
        if h["tag"] == "h1":
            continue
        text = norm(h["text"])
        if h["tag"] == "h2" and text in allowed_h2 and h["inArticle"]:
            continue
        if h["tag"] == "h3" and kind == "model" and text in FIXED_H3 and h["inArticle"]:
            continue
        where = _where(hostile_portal, h["html"], model, h["field"] or None)
        bad.append(f"<{h['tag']}> {text[:100]!r}  <- {where}")
    assert not bad, f"{path or 'home'}: payload text became a heading:\n" + "\n".join(bad)


# --- 3. Markdown fields produce only what they may ------------------------------------------------


@pytest.mark.parametrize(("path", "kind", "model"), MODEL_PAGES)
def test_markdown_fields_are_sanitised(
    hostile_portal: Portal, path: str, kind: str, model: str | None
) -> None:
    """summary and notes may produce p, em, strong, lists, code and http(s)/mailto links only:
    no headings, tables, quotes or rules, no attributes but href/title/rel on links."""
    v = hostile_portal.visit(path, kind, model)
    found = v.read["markdown"]
    report = [
        f"{f}  <- {_where(hostile_portal, f.split(': ', 1)[-1], model, _field(f))}" for f in found
    ]
    assert not report, f"{path}: Markdown fields produced what they may not:\n" + "\n".join(report)


# --- 4. Payload text is shown literally -----------------------------------------------------------


@pytest.mark.parametrize(("path", "kind", "model"), MODEL_PAGES)
def test_model_page_shows_payloads_as_text(
    hostile_portal: Portal, path: str, kind: str, model: str
) -> None:
    repo = hostile_portal.repo
    v = hostile_portal.visit(path, kind, model)
    name, unit = shown(repo.name(model)), shown(repo.business_unit(model))
    problems = []
    if norm(v.read["title"]) != norm(f"{name} - {SITE_NAME}"):
        problems.append(f"<title> is {v.read['title']!r}, expected {name!r} - {SITE_NAME}")
    nav = norm(v.read["nav"])
    for label, what in ((name, "model name"), (unit, "business unit")):
        if label not in nav:
            problems.append(f"nav does not show the {what} {label!r} as text")
    if not any(norm(t) == name for t in v.read["navLabels"]):
        problems.append(f"no nav label reads exactly {name!r}")
    text = v.segments()
    for a in repo.for_model(model):
        if a.path in MODEL_PAGE_TEXT_FIELDS and a.shown not in text:
            problems.append(f"{a.path} [{a.payload}] not shown as text: {a.shown[:90]!r}")
    stage = repo.stages[model]
    for rule in repo.policy["rituals"]:
        if (
            stage in rule.get("stages", ["pilot", "production"])
            and shown(rule["ritual"]) not in text
        ):
            problems.append(f"policy ritual {rule['ritual'][:60]!r} not shown in its finding")
    regulation = shown(repo.policy["authorisation"][1]["regulation"])
    if regulation not in text:
        problems.append(f"policy regulation {regulation[:60]!r} not shown in its finding")
    assert not problems, f"{path}: payload text not shown literally:\n" + "\n".join(problems)


def test_dashboard_shows_payloads_as_text(hostile_portal: Portal) -> None:
    repo = hostile_portal.repo
    v = hostile_portal.visit("dashboard/", "dashboard")
    text = v.segments()
    problems = []
    for model in repo.model_ids:
        for a in repo.for_model(model):
            if a.path in DASHBOARD_TEXT_FIELDS and a.shown not in text:
                problems.append(f"{model} {a.path} [{a.payload}] not shown: {a.shown[:90]!r}")
    assert norm(v.read["title"]) == norm(f"{DASHBOARD_TITLE} - {SITE_NAME}")
    assert not problems, "dashboard: payload text not shown literally:\n" + "\n".join(problems)


@pytest.mark.parametrize(("path", "kind", "model"), PAGES)
def test_charts_draw(hostile_portal: Portal, path: str, kind: str, model: str | None) -> None:
    """Payload text in chart data (KPI names and units, risk titles, feature names, bin labels,
    categories, segments) must not break a chart."""
    v = hostile_portal.visit(path, kind, model)
    broken = [c for c in v.read["charts"] if c["drawn"] != "done"]
    assert not broken, f"{path}: charts not drawn: {broken}"
    if kind == "model":
        assert len(v.read["charts"]) >= 4


@pytest.mark.parametrize(("path", "kind", "model"), MODEL_PAGES)
def test_chart_text_is_literal(
    hostile_portal: Portal, path: str, kind: str, model: str | None
) -> None:
    """A KPI's unit is the y-axis title. Vega-Lite used to quote titles into an expression (the
    marks' ARIA descriptions), which evaluated escapes; the title must be drawn as the same text."""
    v = hostile_portal.visit(path, kind, model)
    charts = {c["chart"]: c for c in v.read["charts"]}
    problems = []
    for kpi in hostile_portal.repo.charters[model]["kpis"]:
        chart = charts.get(f"kpi-{kpi['metric']}")
        if chart is None or chart["drawn"] != "done":
            continue  # test_charts_draw reports it
        unit = shown(kpi["unit"])
        if unit not in norm(chart["label"]):
            problems.append(f"kpi-{kpi['metric']}: unit {unit!r} not literal in {chart['label']!r}")
    assert not problems, f"{path}: chart text evaluated:\n" + "\n".join(problems)


# --- 5. The detectors themselves ---------------------------------------------------------------

CANARY = """<!doctype html><html><head><title>canary</title></head><body><article>
<h1>canary</h1><h2>hx0001 heading</h2>
<img src=x onerror="window.__pwned=1">
<a href="java&#x09;script:alert(1)">link</a>
<iframe src="about:blank"></iframe>
<div class="aipo-summary"><h3>three</h3><p id="pwn">x</p></div>
</article></body></html>"""


def test_detectors_catch_live_payloads(hostile_portal: Portal) -> None:
    """The trap, the inspection and the readers flag what they are meant to (a page that does
    let payloads through), so a passing run means something."""
    page = hostile_portal.context.new_page()
    try:
        page.set_content(CANARY, wait_until="load")
        page.wait_for_timeout(200)
        cfg = {
            "scriptSrc": SCRIPT_SRC,
            "inlineScripts": INLINE_SCRIPTS,
            "mdTags": sorted(MARKDOWN_FIELD_TAGS),
            "mdAttrs": {k: sorted(a) for k, a in MARKDOWN_FIELD_ATTRS.items()},
        }
        problems = "\n".join(page.evaluate(INSPECT, cfg))
        read = page.evaluate(READ, cfg)
        assert page.evaluate("() => window.__pwned") == 1
        assert any("__pwned=1" in line for line in page.evaluate("() => window.__pwnedLog"))
        page.evaluate("() => alert('x')")
        assert any(line.startswith("alert(x)") for line in page.evaluate("() => window.__pwnedLog"))
    finally:
        page.close()
    assert "event handler onerror" in problems
    assert "javascript: URL" in problems
    assert "<iframe> element" in problems
    assert "unexpected <img>" in problems
    assert [h["tag"] for h in read["headings"]] == ["h1", "h2", "h3"]
    assert any("<h3> in .aipo-summary" in m for m in read["markdown"])
    assert any('<p id="pwn">' in m for m in read["markdown"])


# --- 6. Search results ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["pwned", "script", "onerror"])
def test_search_results_are_inert(hostile_portal: Portal, query: str) -> None:
    page = hostile_portal.context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(hostile_portal.server.url + "dashboard/", wait_until="load")
        box = page.locator("input.md-search__input")
        box.click()
        box.press_sequentially(query)
        page.locator(".md-search-result__item").first.wait_for()
        page.wait_for_timeout(300)
        results = page.locator(".md-search-result")
        assert results.locator("img, script, iframe, object, embed").count() == 0
        cfg = {
            "scriptSrc": SCRIPT_SRC,
            "inlineScripts": INLINE_SCRIPTS,
            "mdTags": [],
            "mdAttrs": {},
        }
        page.evaluate(INTERACT)
        problems = page.evaluate(INSPECT, cfg)
        assert page.evaluate("() => window.__pwned") == 0, page.evaluate("() => window.__pwnedLog")
        assert problems == [], "\n".join(problems)
        assert errors == []
    finally:
        page.close()


# --- 7. Badges ------------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("model", [f"hostile-{i}" for i in range(N_MODELS)])
def test_badges_are_inert(hostile_portal: Portal, model: str) -> None:
    badges = hostile_portal.site / "badges"
    root = ET.fromstring((badges / f"{model}.svg").read_bytes())
    assert root.tag == f"{SVG}svg"
    for el in root.iter():
        tag = el.tag.split("}", 1)[-1]
        assert tag not in ("script", "foreignObject", "a", "iframe", "image", "use"), tag
        for name, value in el.attrib.items():
            local = name.split("}", 1)[-1].lower()
            assert not local.startswith("on"), f"{tag} {name}={value}"
            assert "javascript:" not in value.lower(), f"{tag} {name}={value}"
        assert not re.search(r"<\s*script|__pwned", (el.text or "") + (el.tail or ""))
    endpoint = json.loads((badges / f"{model}.json").read_text(encoding="utf-8"))
    assert endpoint["schemaVersion"] == 1
    assert {"label", "message", "color"} <= set(endpoint)
