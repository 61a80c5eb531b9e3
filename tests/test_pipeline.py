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
