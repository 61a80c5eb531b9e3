"""Options of the `aipo` MkDocs plugin (`plugins: - aipo: {...}` in mkdocs.yml)."""

from __future__ import annotations

import datetime as dt

from mkdocs.config import base
from mkdocs.config import config_options as c

__all__ = ["AipoConfig"]


class AipoConfig(base.Config):
    enabled = c.Type(bool, default=True)

    # Inputs, relative to the folder of mkdocs.yml.
    charters = c.Type(str, default="content/models")
    policy = c.Type(str, default="content/policy.yaml")
    metrics = c.Type(str, default="metrics")
    people = c.Type(str, default="content/people.yaml")
    decisions = c.Type(str, default="content/decisions")
    reviews = c.Type(str, default="content/reviews")
    incidents = c.Type(str, default="content/incidents")
    sources = c.Type(str, default="content/sources.yaml")

    # Evaluation date: YYYY-MM-DD or "today"; unset means $AIPO_AS_OF, else today.
    as_of = c.Optional(c.Type((str, dt.date)))

    # Generated pages and files, relative to the site root.
    models_dir = c.Type(str, default="models")
    dashboard = c.Type(str, default="dashboard.md")
    dashboard_title = c.Type(str, default="Portfolio dashboard")
    badges_dir = c.Type(str, default="badges")
    assets_dir = c.Type(str, default="assets/aipo")
    reference = c.Type(bool, default=True)
    reference_dir = c.Type(str, default="reference")
    people_dir = c.Type(str, default="people")
    # Rows per page of the pages that grow with the portfolio (dashboard table, risk register,
    # regulation matrix, people index, owner pages, incident log); a longer list is split into
    # pages of this many rows (at least 10).
    page_size = c.Type(int, default=100)

    # Cache of evaluated and rendered models, relative to the folder of mkdocs.yml (false: none).
    cache_dir = c.Type((str, bool), default=".cache/aipo")

    # Navigation: model pages go in one section, grouped so the nav stays small with many models.
    nav_section = c.Type(str, default="Models")
    nav_group_by = c.Choice(("business_unit", "stage", "none"), default="business_unit")
