"""Status strips on model pages and the portfolio trend on the dashboard."""

from __future__ import annotations

import datetime as dt

import numpy as np

from aipo_site.model.results import STATUS_ORDER, UNKNOWN, Level, Status, Timeline
from aipo_site.render.strip import periods_timeline, strip

AS_OF = dt.date(2026, 11, 20)


def timeline(runs: list[tuple[Status | None, int]], end: dt.date = AS_OF) -> Timeline:
    codes = []
    for status, days in runs:
        codes += [UNKNOWN if status is None else STATUS_ORDER.index(status)] * days
    return Timeline(end - dt.timedelta(days=len(codes) - 1), np.array(codes, np.int8))


def test_the_sentence_reads_the_current_run_and_past_episodes():
    tl = timeline(
        [
            (Status.OK, 200),
            (Status.BREACH, 21),
            (Status.OK, 60),
            (Status.WARN, 5),
            (Status.OK, 50),
            (Status.WARN, 30),
        ]
    )
    s = strip(tl)
    assert len(s.weeks) == 52 and s.weeks[-1].end == AS_OF
    assert s.summary.startswith(f"WARN since {AS_OF - dt.timedelta(days=29)}; before that ")
    # Most recent first; days are counted from the daily status, not from the weeks.
    assert "WARN for 5 days from August to September, BREACH for 3 weeks in June" in s.summary


def test_all_year_and_no_earlier_status():
    assert strip(timeline([(Status.OK, 400)])).summary == "OK all year"
    s = strip(timeline([(None, 30), (Status.NO_DATA, 1)]))
    assert s.summary == "NO DATA on 2026-11-20; no earlier status"
    assert s.weeks[0].status is None and s.weeks[-1].status is Status.NO_DATA
    assert strip(timeline([(Status.BREACH, 3)]), start_unknown=True).summary.startswith(
        "BREACH since: unknown"
    )


def test_only_three_episodes_are_named():
    runs = []
    for _ in range(6):
        runs += [(Status.OK, 20), (Status.BREACH, 7)]
    runs.append((Status.OK, 10))
    s = strip(timeline(runs))
    assert s.summary.count("BREACH for 7 days") == 3
    assert s.summary.endswith("and 3 earlier episodes")


def test_periods_timeline_fills_the_days_of_each_period():
    start = AS_OF - dt.timedelta(days=9)
    tl = periods_timeline(
        start,
        AS_OF,
        [
            (AS_OF - dt.timedelta(days=6), AS_OF - dt.timedelta(days=3), Level.BREACH),
            (AS_OF - dt.timedelta(days=2), AS_OF + dt.timedelta(days=4), Status.STALE),
        ],
    )
    assert tl.levels().tolist() == [-1, -1, -1, 2, 2, 2, 2, 1, 1, 1]


def test_pages_show_one_status_per_kpi_the_window_and_the_strips(mini_repo):
    from aipo_site.load.source import WorkingTree
    from aipo_site.pipeline import PortalOptions, build_portal
    from tests.conftest import MINI_CHARTER, daily_csv

    # Within its thresholds (0.8125 > 0.8) but 18.75% under its 1.0 baseline (breach 12.5%).
    charter = MINI_CHARTER.format(id="m1", name="Model one").replace(
        "baseline: {value: 0.9}", "baseline: {value: 1.0, max_drop: {warn: 0.0625, breach: 0.125}}"
    )
    root = mini_repo(
        charters={"m1": charter},
        metrics={"m1/kpis.csv": daily_csv([1.0] * 40 + [0.8125] * 20)},
    )
    portal = build_portal(WorkingTree(root), PortalOptions(), AS_OF)
    page = portal.pages[portal.model_pages["m1"]]
    row = page.split('data-metric="recall"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="aipo-pill aipo-pill-breach">BREACH</span>' in row
    assert 'aipo-pill-ok">OK</span>' not in row
    assert "thresholds: OK<br>baseline: BREACH" in row
    assert "2026-11-14 to 2026-11-20, 7 rows" in row
    assert page.count('class="aipo-strip"') == 3  # hero, model row and KPI row of the history
    # The 7-day mean falls more than 12.5% under 1.0 on the 5th day of the 0.8125 run.
    assert "BREACH since 2026-11-05" in page
    dashboard = portal.pages[portal.dashboard]
    assert ">recall: BREACH</span>" in dashboard  # the KPI's name (the charter gives none)
    assert 'data-chart="trend"' in dashboard


def test_episodes_that_read_the_same_are_counted():
    runs = [(Status.OK, 300), (Status.WARN, 1), (Status.OK, 2), (Status.WARN, 1), (Status.OK, 20)]
    s = strip(timeline(runs))
    assert s.summary == (
        f"OK since {AS_OF - dt.timedelta(days=19)}; before that WARN for 1 day in October (twice)"
    )


def test_a_hand_written_page_shows_the_live_portfolio(mini_repo, tmp_path):
    from tests.conftest import MINI_CHARTER, daily_csv, run_mkdocs

    charters = {
        "m1": MINI_CHARTER.format(id="m1", name="Healthy <one>"),
        "m2": MINI_CHARTER.format(id="m2", name="Failing two"),
    }
    root = mini_repo(
        charters=charters,
        metrics={"m1/kpis.csv": daily_csv([0.9] * 30), "m2/kpis.csv": daily_csv([0.5] * 30)},
    )
    (root / "content" / "index.md").write_text("# Home\n\n<!-- aipo:portfolio -->\n\nText.\n")
    (root / "content" / "team").mkdir()
    (root / "content" / "team" / "page.md").write_text("# Team\n\n<!-- aipo:portfolio -->\n")
    (root / "content" / "other.md").write_text("# Other\n\n```\n<!-- aipo:portfolio -->\n```\n")
    site = tmp_path / "site"
    done = run_mkdocs(root, site_dir=site)
    assert done.returncode == 0, done.stderr
    home = (site / "index.html").read_text()
    assert "<!-- aipo:portfolio -->" not in home
    block = home.split('<div class="aipo-portfolio"', 1)[1].split("</figure>", 1)[0]
    assert "Live status of 2 models, evaluated 2026-11-20" in block
    # Only the failing model needs attention, with its answers and a link to its page.
    assert block.count("<li ") == 1 and "Failing two" in block and "Healthy" not in block
    assert '<a href="models/m2/"><strong>Failing two</strong></a>' in block
    assert "Performing? <strong>No</strong>" in block
    assert 'data-chart="trend"' in block
    # Links are relative to the page the block is on; a marker shown as code stays code.
    team = (site / "team" / "page" / "index.html").read_text()
    assert '<a href="../../models/m2/"><strong>Failing two</strong></a>' in team
    other = (site / "other" / "index.html").read_text()
    assert "aipo-portfolio" not in other and "&lt;!-- aipo:portfolio --&gt;" in other
