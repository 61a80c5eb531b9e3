"""The dashboard's status-by-unit table and portfolio risk map (issue 9, point 5): counts add up
to the portfolio, each open risk sits in its likelihood x impact cell (and only open ones do),
links follow the site's URL layout, and charter text is escaped. A crowded risk-map cell lists
RISK_CELL_LIMIT risks and counts the others; a dashboard with more models than ``page_size`` is
split into pages with a model index (issue 12; tests/test_scale.py checks 1,000 models)."""

from __future__ import annotations

import json
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import AS_OF, MINI_CHARTER, ROOT, MiniRepo, daily_csv
from markupsafe import escape

from aipo_site.evaluate import evaluate_repository
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.charter import RiskStatus
from aipo_site.model.results import Level, Portfolio
from aipo_site.render.pages import (
    IMPACT_NAMES,
    LIKELIHOOD_NAMES,
    OPEN_RISK_STATUSES,
    RISK_CELL_LIMIT,
    Paths,
    dashboard_index,
    dashboard_index_path,
    dashboard_order,
    render_dashboard,
    render_dashboard_pages,
    risk_band,
    risk_map,
    status_by_unit,
)

HOSTILE = '<img src=x onerror="alert(1)"> & </td></table><script>alert(2)</script>'


def evaluate(root: Path) -> Portfolio:
    return evaluate_repository(load_repository(WorkingTree(root)), AS_OF)


def risk_yaml(title: str, likelihood: int, impact: int, status: str) -> str:
    return (
        f"  - title: {title!r}\n"
        "    kind: other\n"
        "    technical: Something technical.\n"
        "    business: Something for the business.\n"
        f"    likelihood: {likelihood}\n"
        f"    impact: {impact}\n"
        f"    status: {status}\n"
    )


def charter(model_id: str, name: str, unit: str, risks: list[str] | None = None) -> str:
    text = MINI_CHARTER.format(id=model_id, name=name).replace(
        "business_unit: Testing", f"business_unit: {unit!r}"
    )
    if risks:
        text += "risks:\n" + "".join(risks)
    return text


@pytest.fixture
def portfolio(mini_repo: MiniRepo) -> Portfolio:
    """Four models in three units (one BREACH, three OK) with risks in every status."""
    charters = {
        "pay-a": charter(
            "pay-a",
            "Payments A",
            "Payments",
            [
                risk_yaml("Open one", 4, 5, "open"),
                risk_yaml("Mitigated one", 4, 5, "mitigated"),
                risk_yaml("Accepted one", 2, 3, "accepted"),
                risk_yaml("Closed one", 1, 1, "closed"),
            ],
        ),
        "pay-b": charter("pay-b", "Payments B", "Payments", [risk_yaml("Open two", 4, 5, "open")]),
        "ops": charter("ops", "Operations model", "Operations", [risk_yaml("Ops", 5, 1, "open")]),
        "odd": charter("odd", "Odd model", HOSTILE, [risk_yaml(HOSTILE, 3, 3, "open")]),
    }
    metrics = {
        "pay-a/kpis.csv": daily_csv([0.7] * 30),  # below the breach threshold
        "pay-b/kpis.csv": daily_csv([0.9] * 30),
        "ops/kpis.csv": daily_csv([0.9] * 30),
        "odd/kpis.csv": daily_csv([0.9] * 30),
    }
    return evaluate(mini_repo(charters=charters, metrics=metrics))


class Cells(HTMLParser):
    """Reads the rendered page: the risk map's cells (likelihood, impact) -> [(model id, link,
    title)], the units table's rows, and every href."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[int, int], list[tuple[str, str, str]]] = {}
        self.cell: tuple[int, int] | None = None
        self.model = ""
        self.href = ""
        self.link_text: list[str] | None = None
        self.units: list[str] = []
        self.unit_links: list[tuple[str, str]] = []  # (aria-label, href)
        self.in_units = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "div" and "aipo-units-table" in a.get("class", ""):
            self.in_units = True
        if tag == "div" and "aipo-riskmap-table" in a.get("class", ""):
            self.in_units = False
        if tag == "tr" and self.in_units and "data-unit" in a:
            self.units.append(a["data-unit"])
        if tag == "td" and "data-likelihood" in a:
            self.cell = (int(a["data-likelihood"]), int(a["data-impact"]))
            self.cells[self.cell] = []
        if tag == "li" and self.cell:
            self.model = a.get("data-model", "")
        if tag == "a" and self.cell:
            self.href, self.link_text = a["href"], []
        if tag == "a" and self.in_units and "aria-label" in a:
            self.unit_links.append((a["aria-label"], a["href"]))

    def handle_data(self, data: str) -> None:
        if self.link_text is not None:
            self.link_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.cell and self.link_text is not None:
            self.cells[self.cell].append((self.model, self.href, "".join(self.link_text)))
            self.link_text = None
        if tag == "td":
            self.cell = None


def parse(page: str) -> Cells:
    cells = Cells()
    cells.feed(page)
    return cells


def test_counts_by_unit_add_up_to_the_portfolio(portfolio: Portfolio) -> None:
    by_unit = status_by_unit(portfolio)
    assert list(by_unit) == sorted(by_unit, key=str.casefold)
    assert set(by_unit) == {m.charter.business_unit for m in portfolio.models}
    assert by_unit["Payments"] == {Level.BREACH: 1, Level.WARN: 0, Level.OK: 1}
    assert by_unit["Operations"] == {Level.BREACH: 0, Level.WARN: 0, Level.OK: 1}
    for level, n in portfolio.counts().items():
        assert sum(counts[level] for counts in by_unit.values()) == n
    assert sum(sum(c.values()) for c in by_unit.values()) == len(portfolio.models)


def test_counts_by_unit_on_the_demo() -> None:
    portfolio = evaluate(ROOT)
    by_unit = status_by_unit(portfolio)
    for unit, counts in by_unit.items():
        members = [m for m in portfolio.models if m.charter.business_unit == unit]
        assert counts == {lv: sum(1 for m in members if m.status is lv) for lv in Level}
    for level, n in portfolio.counts().items():
        assert sum(c[level] for c in by_unit.values()) == n


def test_open_statuses() -> None:
    assert {RiskStatus.open, RiskStatus.accepted} == OPEN_RISK_STATUSES


def test_risk_map_places_only_open_risks_in_their_cells(portfolio: Portfolio) -> None:
    cells = risk_map(portfolio)
    placed = {
        (x.model.id, x.risk.title): (key, x.number) for key, items in cells.items() for x in items
    }
    assert placed == {
        ("pay-a", "Open one"): ((4, 5), 1),
        ("pay-a", "Accepted one"): ((2, 3), 3),
        ("pay-b", "Open two"): ((4, 5), 1),
        ("ops", "Ops"): ((5, 1), 1),
        ("odd", HOSTILE): ((3, 3), 1),
    }
    # Within a cell, by model name.
    assert [x.model.id for x in cells[(4, 5)]] == ["pay-a", "pay-b"]


def test_risk_map_on_the_demo() -> None:
    portfolio = evaluate(ROOT)
    cells = risk_map(portfolio)
    expected = sorted(
        (m.id, r.title, r.likelihood, r.impact)
        for m in portfolio.models
        for r in m.charter.risks
        if r.status in (RiskStatus.open, RiskStatus.accepted)
    )
    got = sorted((x.model.id, x.risk.title, li, im) for (li, im), v in cells.items() for x in v)
    assert got == expected
    assert got, "the demo has open risks"
    assert any(
        r.status in (RiskStatus.mitigated, RiskStatus.closed)
        for m in portfolio.models
        for r in m.charter.risks
    ), "the demo has risks the map leaves out"


def test_bands() -> None:
    scores = {li * im for li in range(1, 6) for im in range(1, 6)}
    bands = {s: risk_band(s) for s in scores}
    assert {s for s, b in bands.items() if b == "low"} == {1, 2, 3, 4}
    assert {s for s, b in bands.items() if b == "medium"} == {5, 6, 8, 9}
    assert {s for s, b in bands.items() if b == "high"} == {10, 12, 15, 16}
    assert {s for s, b in bands.items() if b == "critical"} == {20, 25}


@pytest.mark.parametrize("directory_urls", [True, False])
def test_rendered_risk_map(portfolio: Portfolio, directory_urls: bool) -> None:
    page = render_dashboard(portfolio, Paths(directory_urls=directory_urls))
    cells = parse(page)
    assert set(cells.cells) == {(li, im) for li in range(1, 6) for im in range(1, 6)}
    model_url = "../models/{}/" if directory_urls else "models/{}.html"
    placed = {}
    for key, items in cells.cells.items():
        for model, href, title in items:
            assert href == model_url.format(model) + "#risks"
            placed[(model, title)] = key
    assert placed == {
        ("pay-a", "Open one"): (4, 5),
        ("pay-a", "Accepted one"): (2, 3),
        ("pay-b", "Open two"): (4, 5),
        ("ops", "Ops"): (5, 1),
        ("odd", HOSTILE): (3, 3),
    }
    # Rows and columns are headed by the names of likelihood and impact.
    for i, name in enumerate(LIKELIHOOD_NAMES, start=1):
        assert f'<th scope="row">{i} {name}</th>' in page
    for i, name in enumerate(IMPACT_NAMES, start=1):
        assert f'<th scope="col">{i} {name}</th>' in page
    assert 'data-likelihood="4" data-impact="5"' in page
    assert '<td class="aipo-risk-cell aipo-risk-critical" data-likelihood="4"' in page


@pytest.mark.parametrize("directory_urls", [True, False])
def test_rendered_units_link_to_the_filtered_view(
    portfolio: Portfolio, directory_urls: bool
) -> None:
    page = render_dashboard(portfolio, Paths(directory_urls=directory_urls))
    cells = parse(page)
    assert cells.units == list(status_by_unit(portfolio))
    links = dict(cells.unit_links)
    base = "./" if directory_urls else "dashboard.html"
    href = links["1 BREACH in Payments"]
    parts = urlsplit(href)
    assert href.startswith(base + "?")
    assert parse_qs(parts.query) == {"status": ["BREACH"], "unit": ["Payments"]}
    assert parts.fragment == "models"
    assert parse_qs(urlsplit(links[f"1 OK in {HOSTILE}"]).query) == {
        "status": ["OK"],
        "unit": [HOSTILE],
    }
    assert parse_qs(urlsplit(links["all 2 in Payments"]).query) == {"unit": ["Payments"]}
    assert parse_qs(urlsplit(links["1 BREACH in all units"]).query) == {"status": ["BREACH"]}
    # Only non-zero counts are links: Operations has no BREACH model.
    assert "0 BREACH in Operations" not in links
    assert "1 BREACH in Operations" not in links
    # The unit filter offers every unit.
    assert '<option value="Payments">Payments</option>' in page


def test_charter_text_is_escaped(portfolio: Portfolio) -> None:
    page = render_dashboard(portfolio, Paths())
    assert "<script>" not in page
    assert "<img" not in page
    escaped = str(escape(HOSTILE))
    # In the units table, the unit filter, the rows' data-unit and the risk map.
    assert page.count(escaped) >= 4
    # A link's query string carries the unit percent-encoded.
    assert "%3Cimg%20src%3Dx" in page


def test_a_crowded_risk_cell_lists_a_few_and_links_the_register(mini_repo: MiniRepo) -> None:
    risks = [risk_yaml(f"Risk {i}", 4, 5, "open") for i in range(RISK_CELL_LIMIT + 2)]
    portfolio = evaluate(mini_repo(charters={"m": charter("m", "Crowded", "Unit", risks)}))
    for directory_urls in (True, False):
        page = render_dashboard(portfolio, Paths(directory_urls=directory_urls))
        cell = parse(page).cells[(4, 5)]
        titles = [title for model, _href, title in cell if model == "m"]
        assert titles == [f"Risk {i}" for i in range(RISK_CELL_LIMIT)]
        register = "../risks/" if directory_urls else "risks.html"
        assert ("", register, "risk register") in cell
        assert 'class="aipo-risk-more">and 2 more in the' in page


def test_a_small_dashboard_is_one_page_as_before(portfolio: Portfolio) -> None:
    paths = Paths()
    out = render_dashboard_pages(portfolio, paths, page_size=len(portfolio.models))
    assert list(out.pages) == [paths.dashboard] and out.files == {}
    assert out.first == render_dashboard(portfolio, paths)
    assert "aipo-pager" not in out.first and "data-aipo-index" not in out.first


def rows_of(page: str) -> list[str]:
    return re.findall(r'<tr class="aipo-row-\w+"[^>]* data-model="([^"]+)"', page)


@pytest.mark.parametrize("directory_urls", [True, False])
def test_a_split_dashboard(portfolio: Portfolio, directory_urls: bool) -> None:
    paths = Paths(directory_urls=directory_urls)
    out = render_dashboard_pages(portfolio, paths, page_size=3)
    assert list(out.pages) == ["dashboard.md", "dashboard/2.md"]
    order = [m.id for m in dashboard_order(portfolio)]
    first, second = out.pages.values()
    assert rows_of(first) == order[:3] and rows_of(second) == order[3:]
    # The summary is on the first page only; both have the filters and say all 4 models.
    assert 'id="aipo-units-title"' in first and 'id="aipo-units-title"' not in second
    for page in (first, second):
        assert '<span class="aipo-count-n">4</span> models' in page
        assert 'class="aipo-filter-input"' in page
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # The index and the model-page address template, relative to each page.
    index = out.files[dashboard_index_path(paths)]
    data = json.loads(index.removeprefix("aipoData(document.currentScript,").removesuffix(");\n"))
    assert [r[0] for r in data["rows"]] == order
    assert "<" not in index and HOSTILE in data["units"]
    for src, page in out.pages.items():
        template = re.search(r'data-aipo-model-url="([^"]+)"', page)[1]
        url = posixpath.normpath(
            posixpath.join(posixpath.dirname(paths.page_url(src)), template.format(id="ops"))
        )
        assert url + ("/" if directory_urls else "") == paths.page_url(paths.model_page("ops"))
        assert f'data-aipo-index="{paths.relative(src, dashboard_index_path(paths))}"' in page


def test_the_index_row_of_a_model(portfolio: Portfolio) -> None:
    data = dashboard_index(portfolio)
    row = next(r for r in data["rows"] if r[0] == "pay-a")
    m = portfolio.model("pay-a")
    assert m is not None
    assert data["levels"][row[2]][0] == "BREACH" == m.status.label
    assert data["units"][row[7]] == "Payments"
    assert data["owners"][row[8]] == m.charter.owner.name
    assert [label for label, _level in row[9]] == [
        f"{k.name}: {k.status.value}" for k in m.kpis if k.level
    ]
    assert row[10] == len(m.findings_at(Level.BREACH))
