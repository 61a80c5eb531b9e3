"""The pipeline: evaluation date and the set of generated files."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from aipo_site.errors import ConfigError
from aipo_site.load.source import WorkingTree
from aipo_site.pipeline import PortalOptions, build_portal, resolve_as_of
from aipo_site.render.pages import Paths
from tests.conftest import AS_OF


def test_as_of_precedence():
    assert resolve_as_of("2026-01-02", {"AIPO_AS_OF": "2027-01-01"}) == dt.date(2026, 1, 2)
    assert resolve_as_of(None, {"AIPO_AS_OF": "2027-01-01"}) == dt.date(2027, 1, 1)
    assert resolve_as_of(dt.date(2026, 3, 4), {}) == dt.date(2026, 3, 4)
    assert resolve_as_of("today", {}) == dt.date.today()
    assert resolve_as_of(None, {}) == dt.date.today()


@pytest.mark.parametrize(
    ("value", "env", "where"),
    [("2026-13-01", {}, "as_of"), (None, {"AIPO_AS_OF": "soon"}, "$AIPO_AS_OF")],
)
def test_bad_as_of(value, env, where):
    with pytest.raises(ConfigError, match=rf"^{re.escape(where)}: expected a date"):
        resolve_as_of(value, env)


def test_portal_files(repo_root):
    portal = build_portal(WorkingTree(repo_root), PortalOptions(assets=False), AS_OF)
    assert set(portal.model_pages) == {
        "customer-churn",
        "fraud-prevention",
        "supply-chain-forecast",
    }
    assert {"dashboard.md", "reference/charter.md", "reference/policy.md"} <= set(portal.pages)
    assert "models/fraud-prevention/kpis.csv" in portal.files
    assert "badges/fraud-prevention.json" in portal.files
    assert not any(k.startswith("assets/") for k in portal.files)


def test_reference_page_documents_every_charter_field(repo_root):
    from aipo_site.model.charter import Charter, Kpi

    portal = build_portal(WorkingTree(repo_root), PortalOptions(assets=False), AS_OF)
    page = portal.pages["reference/charter.md"]
    for name, info in [*Charter.model_fields.items(), *Kpi.model_fields.items()]:
        assert f"<code>{name}</code>" in page, name
        assert info.description, f"{name} has no description"


@pytest.mark.parametrize(
    ("directory_urls", "page", "target", "expected"),
    [
        (True, "models/a.md", "badges/a.svg", "../../badges/a.svg"),
        (True, "dashboard.md", "models/a/", "../models/a/"),
        (True, "index.md", "models/a/", "models/a/"),
        (False, "models/a.md", "models/a/kpis.csv", "a/kpis.csv"),
        (False, "dashboard.md", "models/a.html", "models/a.html"),
    ],
)
def test_relative_urls(directory_urls, page, target, expected):
    assert Paths(directory_urls=directory_urls).relative(page, target) == expected


def test_a_model_page_starts_with_its_stub_and_writes_only_where_said(repo_root):
    """What the background rendering relies on (aipo_site/background.py): the stub MkDocs reads
    first is the page's front matter, and model_file_paths lists every file a page may write."""
    from aipo_site.pipeline import render_model
    from aipo_site.render.pages import model_file_paths, render_model_stub

    portal = build_portal(WorkingTree(repo_root), PortalOptions(assets=False), AS_OF)
    paths = Paths()
    written = set()
    for result in portal.portfolio.models:
        page, files = render_model(result, portal.repository, paths, portal.provenance)
        stub = render_model_stub(result)
        assert stub.startswith("---\ntitle: ") and stub.endswith("\n---\n")
        assert page.startswith(stub + "\n")
        assert set(files) <= set(model_file_paths(paths, result.id)), result.id
        written |= {name.rsplit("/", 1)[-1] for name in files}
    # The demo has every kind of file: badges, KPI and segment data.
    assert {"kpis.csv", "kpis.js", "segments.csv", "segments.js"} <= written
