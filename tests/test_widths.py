"""Browser tests: every page type reads on every screen from a phone to a wide desktop.

At 390, 768, 1400 and 1920 px, on the home page, the dashboard, each model page, the charter and
policy reference and a guide page:

- no page scrolls sideways (the document is no wider than the window);
- nothing in the article is clipped: an element that sticks out of the article must sit inside a
  box that scrolls (``.aipo-table-wrap``, overflow-x auto), a table that scrolls keeps its first
  column in view (position: sticky), and no box hides overflowing content;
- the dashboard fits its box at 1400 and 1920 px (no column to scroll to), and is a list of
  labelled cards below 700 px;
- no id or code in running text wraps inside a word: a code element may wrap at a space or
  punctuation (``_``, ``-``, ``.``, ``/``), never between two letters or digits.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import DEMO_MODELS, PortalPage

pytestmark = pytest.mark.browser

WIDTHS = [390, 768, 1400, 1920]
MODELS = DEMO_MODELS
PAGES = [
    "",
    "dashboard.html",
    *(f"models/{model}.html" for model in MODELS),
    "reference/charter.html",
    "reference/policy.html",
    "guide/reading-the-portal.html",
    "regulation.html",
    "guide/regulation.html",
    "guide/evidence.html",
]
CHART_TIMEOUT_MS = 45_000
CHARTS_SETTLED = """() => [...document.querySelectorAll('.aipo-chart')].every(
  (el) => ['done', 'error'].includes(el.getAttribute('data-aipo-drawn')))"""

# Everything the article shows that sticks out of it, unless a scrolling box holds it; boxes
# that hide overflowing content; scrolling tables whose first column does not stick.
LAYOUT_PROBLEMS = """() => {
  const article = document.querySelector('.md-content article') || document.querySelector('article');
  // Material lets its table boxes reach into the content's padding (negative margins).
  const box = (article.closest('.md-content') || article).getBoundingClientRect();
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' "'
    + (el.textContent || '').trim().slice(0, 40) + '"';
  const out = [];
  for (const el of article.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.position === 'absolute' && r.width <= 1) continue;
    let held = false;
    for (let a = el.parentElement; a && a !== article; a = a.parentElement) {
      if (scrolls(a)) { held = true; break; }
    }
    if (!held && (r.right > box.right + 1 || r.left < box.left - 1)) {
      out.push(`sticks out of the article (${Math.round(r.left)}..${Math.round(r.right)} of `
        + `${Math.round(box.left)}..${Math.round(box.right)}): ${name(el)}`);
    }
    if (['hidden', 'clip'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1
        && !el.closest('.aipo-chart') && !el.closest('.highlight')) {
      out.push(`clips its content (${el.scrollWidth} > ${el.clientWidth}): ${name(el)}`);
    }
  }
  for (const wrap of article.querySelectorAll('*')) {
    if (wrap.scrollWidth <= wrap.clientWidth + 1 || !wrap.querySelector('tr')) continue;
    if (wrap.closest('.aipo-chart')) continue;
    if (!scrolls(wrap)) {
      if (wrap.matches('.aipo-table-wrap')) out.push(`table wider than its box does not scroll: ${name(wrap)}`);
      continue;
    }
    for (const row of wrap.querySelectorAll('tr')) {
      const first = row.firstElementChild;
      // A detail row's one cell spans the whole table: it scrolls with it.
      if (first && !first.hasAttribute('colspan') && getComputedStyle(first).position !== 'sticky') {
        out.push(`scrolling table's first column is not sticky: ${name(first)}`);
        break;
      }
    }
  }
  return out;
}"""

# Code elements (outside code blocks) that wrap inside a word: the line each character sits on,
# from its own client rect, must not change between two letters or digits.
MID_WORD_BREAKS = """() => {
  const out = [];
  const word = /[A-Za-z0-9]/;
  const article = document.querySelector('.md-content article') || document.querySelector('article');
  for (const code of article.querySelectorAll('code')) {
    if (code.closest('pre')) continue;
    if (code.getClientRects().length === 0) continue;
    const chars = [];
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.data.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        // A space at the end of a line has no box: it keeps the line of the character before.
        const rect = range.getClientRects()[0];
        const prev = chars[chars.length - 1];
        if (rect && rect.width > 0) chars.push({c: node.data[i], top: rect.top, h: rect.height});
        else if (prev) chars.push({c: node.data[i], top: prev.top, h: prev.h});
      }
    }
    for (let i = 1; i < chars.length; i++) {
      const moved = chars[i].top > chars[i - 1].top + chars[i - 1].h / 2;
      if (moved && word.test(chars[i - 1].c) && word.test(chars[i].c)) {
        const text = chars.map((x) => x.c).join('');
        out.push(`"${text}" breaks between "${text.slice(0, i)}" and "${text.slice(i)}"`);
        break;
      }
    }
  }
  return out;
}"""


def open_at(portal: PortalPage, path: str, width: int) -> Any:
    page = portal.page
    page.set_viewport_size({"width": width, "height": 900})
    portal.goto(path)
    page.wait_for_function(CHARTS_SETTLED, timeout=CHART_TIMEOUT_MS)
    return page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_page_fits_the_window(portal: PortalPage, path: str, width: int) -> None:
    page = open_at(portal, path, width)
    doc = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert doc["scroll"] <= doc["inner"], f"{path or 'home'} scrolls sideways at {width} px: {doc}"
    problems = page.evaluate(LAYOUT_PROBLEMS)
    assert not problems, f"{path or 'home'} at {width} px:\n" + "\n".join(problems[:15])
    breaks = page.evaluate(MID_WORD_BREAKS)
    assert not breaks, f"{path or 'home'} at {width} px, ids broken mid-word:\n" + "\n".join(
        breaks[:15]
    )


@pytest.mark.parametrize("width", [1400, 1920])
def test_dashboard_fits_its_box_on_desktops(portal: PortalPage, width: int) -> None:
    page = open_at(portal, "dashboard.html", width)
    wrap = page.eval_on_selector(
        ".aipo-dashboard",
        """el => ({columns: el.querySelectorAll('thead th').length,
          overflowing: [el, ...el.querySelectorAll('*')]
            .filter(box => box.scrollWidth > box.clientWidth + 1)
            .map(box => `${box.tagName} ${box.className}: ${box.scrollWidth} > ${box.clientWidth}`)})""",
    )
    assert wrap["columns"] == 12
    assert not wrap["overflowing"], f"dashboard clipped at {width} px: {wrap}"
    # Every column, Escalation last, is inside the window.
    last = page.eval_on_selector(
        ".aipo-dashboard thead th:last-child", "el => el.getBoundingClientRect().right"
    )
    assert last <= width


def test_dashboard_is_cards_on_a_phone(portal: PortalPage) -> None:
    page = open_at(portal, "dashboard.html", 390)
    cards = page.eval_on_selector_all(
        ".aipo-dashboard tbody tr",
        """rows => rows.map(row => ({
          display: getComputedStyle(row).display,
          labels: [...row.children].map(td => getComputedStyle(td, '::before').content),
        }))""",
    )
    assert cards, "no dashboard rows"
    for card in cards:
        assert card["display"] == "block", card
        # Every field but the model's name (the card's title) is labelled.
        assert all(label not in ("none", "normal", '""') for label in card["labels"][1:]), card
    assert '"Escalation"' in cards[0]["labels"]
    # The column headers are not shown as a row, but stay for screen readers and sorting.
    head = page.eval_on_selector(".aipo-dashboard thead", "el => el.getBoundingClientRect().height")
    assert head <= 1
    # Filtering by status still works on the cards.
    page.click(".aipo-count-breach")
    shown = page.eval_on_selector_all(
        ".aipo-dashboard tbody tr", "rows => rows.filter(r => !r.hidden && r.offsetHeight).length"
    )
    assert 0 < shown < len(cards)
