"""Build-speed benchmark: the aipo portal against a bare mkdocs-material site of the same size.

For each N given to ``--models`` this script generates, deterministically (seeded), two projects:

(a) ``aipo``: an mkdocs.yml like the demo portal's (Material, ``font: false``, the same features,
    ``navigation.sections`` + ``navigation.prune``, plugins ``search`` + ``aipo`` with a pinned
    ``as_of``), N realistic charters spread over 20 business units (so the plugin builds a
    "Models" nav section with 20 sub-sections), a policy, and per model one long-form metric CSV
    ``date,metric,value`` with 4 KPIs x 365 daily rows;
(b) ``bare``: the same mkdocs.yml without the aipo plugin and with an explicit nav of the same
    shape (Home, Portfolio dashboard, Models with 20 sub-sections, Reference), with N plain
    Markdown pages holding the same charter facts as Markdown text and tables, a dashboard
    table and two reference pages, so both sites have N + 4 pages.

It then times ``mkdocs build --strict`` of (a) and (b) alternately (a, b, a, b, ... in fresh
interpreters, as a user runs it), after one untimed warm-up build of each (the warm-up fills the
Vega bundle cache in ``~/.cache/aipo``, the bytecode cache and the OS file cache), and reports the
median wall and CPU time of each, the ratio a/b (the median of the per-pair ratios) and the
machine. Every timed aipo build is *cold*: the project's build cache (``.cache/aipo``, the
plugin's ``cache_dir``) is emptied before it. With ``--warm`` each pair gets a third build, a
*warm* aipo build right after the bare one, with the cache the cold build left (no input
changed, as in a CI run restoring its cache): a, b, a-warm, a, b, a-warm, ...; the warm ratio
is a-warm / b over the same bare builds. It also times aipo's own pipeline in-process (load, evaluate, render) and the import of
the plugin in a fresh interpreter, to show where the time goes.

Each timed build writes into an empty site folder, as a CI run on a fresh checkout does: the
previous build's site is moved aside (not deleted: on ext4, creating thousands of files right
after deleting as many costs far more than either) and removed at the end. ``--reuse-site``
measures repeated builds on a laptop instead, where MkDocs deletes the previous site first.

Usage::

    python benchmarks/build_speed.py --models 100 1000 [--repeats 3] [--out benchmarks/out]
                                     [--warm] [--markdown] [--json FILE] [--profile]
                                     [--reuse-site]

``--profile`` runs the aipo build of the largest N once more in-process under cProfile and prints
the top functions; with ``--out`` the .prof file is kept there for snakeviz or pstats.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

AS_OF = dt.date(2026, 11, 20)
DAYS = 365
SEED = 20261120
TARGET_RATIO = 1.25  # cold build / bare build at 1,000 models (issue 12)
TARGET_WARM_RATIO = 1.1  # warm build / bare build
CACHE_DIR = ".cache/aipo"  # the plugin's default cache_dir, relative to mkdocs.yml
HERE = Path(__file__).resolve().parent

# ----------------------------------------------------------------------------------------------
# Synthetic governance data
# ----------------------------------------------------------------------------------------------

BUSINESS_UNITS = [
    "Payments",
    "Retail Banking",
    "Cards",
    "Lending",
    "Mortgages",
    "Wealth Management",
    "Insurance Claims",
    "Insurance Pricing",
    "Customer Service",
    "Marketing",
    "Supply Chain",
    "Logistics",
    "Procurement",
    "Human Resources",
    "Finance",
    "Treasury",
    "Compliance",
    "Cyber Security",
    "E-commerce",
    "Field Operations",
]

FIRST_NAMES = [
    "Amara", "Jonas", "Priya", "Mateo", "Sofia", "Kwame", "Elena", "Hiroshi", "Fatima", "Lars",
    "Chen", "Olivia", "Rafael", "Ingrid", "Tariq", "Nadia", "Samuel", "Yara", "Dmitri", "Aoife",
]  # fmt: skip
LAST_NAMES = [
    "Okafor", "Weber", "Sharma", "Garcia", "Rossi", "Mensah", "Marchetti", "Tanaka", "Haddad",
    "Nilsson", "Wang", "Brown", "Costa", "Larsen", "Aziz", "Petrova", "Adeyemi", "Silva",
    "Ivanov", "Murphy",
]  # fmt: skip


@dataclass(frozen=True)
class MetricKind:
    metric: str
    name: str
    higher: bool
    low: float  # baseline range
    high: float
    in_policy: bool = False  # the policy has a default for this metric


FAMILIES: dict[str, tuple[str, list[MetricKind]]] = {
    "classifier": (
        "Scores {subject} in real time and flags the cases most likely to need action, so that "
        "the {unit} team can intervene before losses occur. The score also orders the manual "
        "review queue and feeds the monthly loss forecast.",
        [
            MetricKind("recall", "Cases caught (recall)", True, 0.84, 0.92, True),
            MetricKind("precision", "Flag precision", True, 0.76, 0.86, True),
            MetricKind("false_positive_rate", "False alarm rate", False, 0.005, 0.012, True),
            MetricKind(
                "expected_calibration_error", "Calibration error (ECE)", False, 0.012, 0.03, True
            ),
        ],
    ),
    "ranking": (
        "Ranks {subject} by the likelihood of the outcome the {unit} team is measured on, so "
        "that limited budget and staff time go to the cases where they change the result.",
        [
            MetricKind("auc", "Ranking quality (AUC)", True, 0.80, 0.90, True),
            MetricKind("lift_top_decile", "Lift in the top decile", True, 2.5, 3.6),
            MetricKind("precision", "Precision at the action cut-off", True, 0.76, 0.86, True),
            MetricKind(
                "expected_calibration_error", "Calibration error (ECE)", False, 0.012, 0.03, True
            ),
        ],
    ),
    "forecast": (
        "Forecasts {subject} for the next 1-12 weeks; the {unit} team plans capacity, stock and "
        "staffing from the forecast and its prediction intervals.",
        [
            MetricKind("mape", "Forecast error (MAPE)", False, 0.06, 0.12, True),
            MetricKind("wape", "Weighted forecast error (WAPE)", False, 0.05, 0.11),
            MetricKind("interval_coverage", "P90 interval coverage", True, 0.86, 0.92),
            MetricKind("forecast_bias_abs", "Absolute forecast bias", False, 0.004, 0.02),
        ],
    ),
    "assistant": (
        "Drafts answers about {subject} for the {unit} team from approved internal documents; "
        "every answer is reviewed by a person before it is sent.",
        [
            MetricKind("answer_accuracy", "Answer accuracy (sampled review)", True, 0.86, 0.94),
            MetricKind("hallucination_rate", "Unsupported claims rate", False, 0.01, 0.03),
            MetricKind("groundedness", "Groundedness score", True, 0.88, 0.95),
            MetricKind("latency_p95_ms", "Latency p95 (ms)", False, 900.0, 1800.0),
        ],
    ),
}

SUBJECTS = [
    "incoming transactions", "customer accounts", "open applications", "support tickets",
    "supplier orders", "warehouse shipments", "insurance claims", "policy renewals",
    "marketing leads", "payment disputes", "loan portfolios", "delivery routes",
]  # fmt: skip

POLICY = {
    "metrics": {
        "recall": {"direction": "higher_is_better", "warn": 0.80, "breach": 0.75},
        "precision": {"direction": "higher_is_better", "warn": 0.70, "breach": 0.60},
        "auc": {"direction": "higher_is_better", "warn": 0.75, "breach": 0.70},
        "mape": {"direction": "lower_is_better", "warn": 0.15, "breach": 0.25},
        "expected_calibration_error": {
            "direction": "lower_is_better",
            "warn": 0.05,
            "breach": 0.08,
        },
        "false_positive_rate": {"direction": "lower_is_better", "warn": 0.02, "breach": 0.05},
    },
    "baseline_max_drop": {"warn": 0.05, "breach": 0.10},
    "freshness_days": 3,
    "authorisation": [
        {
            "categories": ["personal"],
            "regions": ["EU", "UK", "EEA"],
            "regulation": "GDPR / UK GDPR Art. 35 — data protection impact assessment (DPIA)",
        },
        {
            "categories": ["special-category", "health", "biometric", "children"],
            "regions": ["*"],
            "regulation": "GDPR Art. 8 and 9; equivalent health, biometric and child-data laws",
        },
    ],
    "max_retraining_interval_days": 180,
    "required_sections": {
        "pilot": ["owner", "kpis", "thresholds"],
        "production": [
            "owner",
            "incident_owner",
            "kpis",
            "thresholds",
            "baselines",
            "data_contracts",
            "retraining",
            "escalation",
            "decision_rights",
        ],
    },
    "rituals": [
        {"ritual": "Weekly metric review", "max_cadence_days": 7},
        {"ritual": "Monthly model review", "max_cadence_days": 31},
        {"ritual": "Quarterly governance audit", "max_cadence_days": 92},
    ],
}


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


def sig(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}")


def person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first} {last}", f"{first}.{last}@example.com".lower()


@dataclass
class Model:
    """One synthetic model: its charter (a plain dict, valid against Charter) and its series."""

    id: str
    unit: str
    charter: dict[str, Any]
    series: dict[str, list[float]]  # metric -> 365 daily values
    end: dt.date  # date of the newest row


def make_model(index: int, seed: int) -> Model:
    rng = random.Random(seed * 100_003 + index)
    unit = BUSINESS_UNITS[index % len(BUSINESS_UNITS)]
    family = list(FAMILIES)[(index // len(BUSINESS_UNITS)) % len(FAMILIES)]
    template, kinds = FAMILIES[family]
    subject = rng.choice(SUBJECTS)
    model_id = f"{slug(unit)}-{family}-{index:04d}"
    name = f"{unit} {subject} {family} #{index}"
    owner, owner_email = person(rng)
    engineer, engineer_email = person(rng)
    # Status mix: most healthy; in 1 in 5 models one KPI drifts into WARN or BREACH over the
    # last 60 days; 1 in 20 has stale data.
    roll = rng.random()
    drift = 0.0 if roll < 0.80 else (0.07 if roll < 0.92 else 0.14)
    drifting = rng.randrange(len(kinds))
    end = AS_OF - dt.timedelta(days=10) if rng.random() < 0.05 else AS_OF
    stage = rng.choices(
        ["prototype", "pilot", "production", "deprecated"], weights=[1, 2, 8, 1], k=1
    )[0]
    since = AS_OF - dt.timedelta(days=rng.randint(120, 600))

    kpis, series = [], {}
    for position, k in enumerate(kinds):
        base = sig(rng.uniform(k.low, k.high))
        worse = -1 if k.higher else 1
        kpi: dict[str, Any] = {
            "metric": k.metric,
            "name": k.name,
            "description": (
                f"{k.name} measured daily on the production traffic of the {unit} team; the "
                f"value is re-stated when late labels arrive. Compared with the baseline agreed "
                f"at approval and with the warn and breach levels below."
            ),
            "window_days": 7,
            "baseline": {"value": base, "date": since.isoformat()},
            "freshness_days": 2,
        }
        if not (k.in_policy and rng.random() < 0.3):  # some KPIs inherit policy thresholds
            kpi["direction"] = "higher_is_better" if k.higher else "lower_is_better"
            if k.higher:
                kpi["thresholds"] = {"warn": sig(base * 0.96), "breach": sig(base * 0.91)}
            else:
                kpi["thresholds"] = {"warn": sig(base * 1.25), "breach": sig(base * 1.6)}
        kpis.append(kpi)
        values = []
        for day in range(DAYS):
            # Seasonal wiggle, noise, and a worsening trend over the last 60 days if drifting.
            trend = drift * max(0, day - (DAYS - 60)) / 60 if position == drifting else 0.0
            season = 0.01 * ((day % 30) / 30 - 0.5)
            noise = rng.gauss(0, 0.015)
            values.append(base * (1 + worse * trend + season + noise))
        series[k.metric] = values

    metrics = [k.metric for k in kinds]
    personal = rng.random() < 0.6
    regions = rng.choice([["EU", "UK"], ["EU"], ["US"], ["UK"], ["EU", "US"]])
    sources = []
    for j, source_name in enumerate(["Event stream", "Customer profile", "Outcome labels"]):
        src: dict[str, Any] = {
            "name": f"{unit} {source_name.lower()}",
            "description": (
                f"{source_name} for {subject}: identifiers, amounts, timestamps and the "
                f"attributes the {unit} team maintains. Refreshed daily."
            ),
            "owner": f"{unit} data office",
            "lineage": ["Operational system", f"Kafka topic {slug(unit)}.{j}.v2", "Warehouse"],
            "categories": ["personal", "financial"] if personal and j < 2 else ["operational"],
            "regions": regions,
            "contract": f"https://contracts.example.com/{slug(unit)}/{model_id}/{j}",
        }
        # 1 in 10 personal-data sources lacks its authorisation record (a compliance finding).
        if personal and j < 2 and rng.random() > 0.1:
            src["authorisation"] = {
                "record": f"DPIA-2026-{index:04d}",
                "legal_basis": "Legitimate interest (GDPR Art. 6(1)(f))",
                "approved_by": "Data Protection Officer",
                "date": (since - dt.timedelta(days=20)).isoformat(),
                "url": f"https://privacy.example.com/records/DPIA-2026-{index:04d}",
            }
        sources.append(src)

    risk_kinds = ["bias", "calibration_error", "adversarial_vulnerability", "privacy"]
    risks = [
        {
            "title": f"{kind.replace('_', ' ').capitalize()} risk in {subject}",
            "kind": kind,
            "technical": (
                f"The model's {metrics[r % 4]} may degrade for some segments of {subject} when "
                f"the input distribution shifts; the effect is measured monthly per segment."
            ),
            "business": (
                f"Customers of the {unit} business could be treated inconsistently or wrongly, "
                f"with complaints, remediation cost and regulatory attention as the result."
            ),
            "likelihood": rng.randint(1, 5),
            "impact": rng.randint(1, 5),
            "mitigation": "Segment monitoring, retraining on fresh labels, human review.",
            "owner": owner,
            "status": rng.choice(["open", "mitigated", "accepted"]),
        }
        for r, kind in enumerate(rng.sample(risk_kinds, 3))
    ]
    # Mostly on schedule; 1 in 10 retrainings and 1 in 50 rituals overdue (compliance findings).
    cadence = rng.choice([30, 60, 90])
    retrained_ago = rng.randint(1, cadence - 1) if rng.random() < 0.9 else cadence + 10

    def held_ago(every: int) -> int:
        return rng.randint(0, every - 1) if rng.random() < 0.98 else every + 3

    charter: dict[str, Any] = {
        "id": model_id,
        "name": name,
        "summary": template.format(subject=subject, unit=unit),
        "business_unit": unit,
        "owner": {"name": owner, "role": f"AI Product Owner, {unit}", "email": owner_email},
        "incident_owner": {
            "name": engineer,
            "role": "Lead ML Engineer",
            "email": engineer_email,
            "on_call": f"PagerDuty: {slug(unit)}-ml",
        },
        "lifecycle": {
            "stage": stage,
            "since": since.isoformat(),
            "history": [
                {"stage": "prototype", "date": (since - dt.timedelta(days=150)).isoformat()},
                {"stage": "pilot", "date": (since - dt.timedelta(days=70)).isoformat()},
            ],
            "sunset_review": (since + dt.timedelta(days=730)).isoformat(),
        },
        "outcomes": [
            {
                "outcome": f"Act on the right {subject} before the outcome is lost.",
                "business_kpi": f"{unit} losses avoided per month",
                "target": "Up 10 % on last year",
                "model_kpis": metrics[:2],
            },
            {
                "outcome": "Do not bother the customers who need no action.",
                "business_kpi": "Complaints per 10,000 customers",
                "target": "Below 5",
                "model_kpis": metrics[2:],
            },
        ],
        "kpis": kpis,
        "data_sources": sources,
        "retraining": {
            "cadence_days": cadence,
            "last_retrained": (AS_OF - dt.timedelta(days=retrained_ago)).isoformat(),
            "trigger": "Any KPI in WARN for 14 days, or a confirmed change in the input data.",
        },
        "risks": risks,
        "escalation": [
            {
                "name": "L1 — data science on-call",
                "on": "warn",
                "after_days": 0,
                "trigger": "Any KPI in WARN at the daily evaluation.",
                "who": f"{unit} data science on-call",
                "response_time": "1 business day",
            },
            {
                "name": "L2 — incident owner and AIPO",
                "on": "breach",
                "after_days": 0,
                "trigger": "Any KPI in BREACH at the daily evaluation.",
                "who": f"{engineer} and {owner}",
                "response_time": "4 hours",
            },
            {
                "name": "L3 — head of unit and Model Risk Committee",
                "on": "breach",
                "after_days": 3,
                "trigger": "A BREACH not resolved within 3 days.",
                "who": f"Head of {unit}; Model Risk Committee chair",
                "response_time": "24 hours",
            },
        ],
        "decision_rights": [
            {
                "decision": decision,
                "accountable": f"Head of {unit}" if d % 2 == 0 else f"{owner} (AIPO)",
                "responsible": [f"{owner} (AIPO)", f"{unit} data science team"],
                "consulted": ["Model Risk Committee", "Data Protection Officer"],
                "informed": [f"{unit} operations"],
            }
            for d, decision in enumerate(
                [
                    "Production go/no-go",
                    "Threshold changes",
                    "Retraining and release",
                    "Deprecation and sunset",
                ]
            )
        ],
        "rhythm": [
            {
                "ritual": ritual,
                "cadence_days": cadence,
                "last_held": (AS_OF - dt.timedelta(days=held_ago(cadence))).isoformat(),
                "attendees": [owner, engineer, f"{unit} operations lead"],
            }
            for ritual, cadence in [
                ("Weekly metric review", 7),
                ("Monthly model review", 30),
                ("Quarterly governance audit", 91),
            ]
        ],
        "onboarding": [
            {"item": item, "done": done, **({"date": since.isoformat()} if done else {})}
            for item, done in [
                ("Charter written and reviewed", True),
                ("DPIA completed and signed", personal),
                ("Data contracts signed for every source", True),
                ("Thresholds and baselines agreed", True),
                ("Escalation ladder tested in a game day", rng.random() < 0.6),
                ("Rollback runbook rehearsed", rng.random() < 0.4),
            ]
        ],
        "notes": (
            f"Owned by the {unit} team since {since.isoformat()}. See the runbook in the team "
            f"wiki for rollback to the rules-only fallback."
        ),
    }
    return Model(model_id, unit, charter, series, end)


def metrics_csv(model: Model) -> str:
    out = io.StringIO()
    out.write("date,metric,value\n")
    start = model.end - dt.timedelta(days=DAYS - 1)
    for day in range(DAYS):
        date = (start + dt.timedelta(days=day)).isoformat()
        for metric, values in model.series.items():
            out.write(f"{date},{metric},{values[day]:.5g}\n")
    return out.getvalue()


# ----------------------------------------------------------------------------------------------
# The two projects
# ----------------------------------------------------------------------------------------------


def mkdocs_config(nav: list[Any], aipo: bool, offline: bool = True) -> dict[str, Any]:
    """The demo portal's mkdocs.yml, with or without the aipo plugin; both sites have Material's
    offline plugin, as the demo does (it opens from disk), unless ``offline`` is false."""
    plugins: list[Any] = ["search", "offline"] if offline else ["search"]
    if aipo:
        plugins.append(
            {
                "aipo": {
                    "charters": "docs/models",
                    "policy": "docs/policy.yaml",
                    "metrics": "metrics",
                    "as_of": AS_OF.isoformat(),
                }
            }
        )
    return {
        "site_name": "Benchmark portal",
        "docs_dir": "docs",
        "site_dir": "site",
        "strict": True,
        "theme": {
            "name": "material",
            "font": False,
            "features": [
                "navigation.sections",
                "navigation.prune",
                "navigation.indexes",
                "navigation.top",
                "toc.follow",
                "search.highlight",
            ],
            "palette": [{"scheme": "default", "primary": "indigo", "accent": "indigo"}],
        },
        "plugins": plugins,
        "markdown_extensions": [
            "admonition",
            "attr_list",
            "tables",
            {"toc": {"permalink": True}},
            "pymdownx.details",
            "pymdownx.superfences",
        ],
        "nav": nav,
    }


INDEX = """# Benchmark portal

Synthetic governance portal with {n} models in {units} business units, generated by
`benchmarks/build_speed.py` (seed {seed}). Every model has 4 KPIs with 365 daily values.
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


class _NoAliases(yaml.SafeDumper):
    """Writes shared lists twice instead of as anchors and aliases (aipo refuses those)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=100)


def generate_aipo(root: Path, models: list[Model], seed: int) -> None:
    nav = [
        {"Home": "index.md"},
        {"Portfolio dashboard": "dashboard.md"},
        {"Reference": [{"Charter": "reference/charter.md"}, {"Policy": "reference/policy.md"}]},
    ]
    write(root / "mkdocs.yml", dump_yaml(mkdocs_config(nav, aipo=True)))
    write(root / "docs/index.md", INDEX.format(n=len(models), units=len(BUSINESS_UNITS), seed=seed))
    write(root / "docs/policy.yaml", dump_yaml(POLICY))
    for m in models:
        write(root / f"docs/models/{m.id}.yaml", dump_yaml(m.charter))
        write(root / f"metrics/{m.id}/kpis.csv", metrics_csv(m))


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def plain_page(m: Model) -> str:
    """The charter as hand-written Markdown: the same facts, no generated HTML or charts."""
    c = m.charter
    out = [f"# {c['name']}\n", f"{c['summary']}\n"]
    out.append(
        _table(
            ["Fact", "Value"],
            [
                ["AI Product Owner", f"{c['owner']['name']} ({c['owner']['email']})"],
                ["Incident owner", f"{c['incident_owner']['name']}"],
                ["Stage", f"{c['lifecycle']['stage']} since {c['lifecycle']['since']}"],
                ["Business unit", m.unit],
                ["Retraining", f"every {c['retraining']['cadence_days']} days"],
            ],
        )
    )
    out.append("## KPIs\n")
    rows = []
    for k in c["kpis"]:
        values = m.series[k["metric"]]
        current = sum(values[-7:]) / 7
        t = k.get("thresholds", {})
        rows.append(
            [
                f"**{k['name']}** `{k['metric']}`",
                f"{current:.4g}",
                f"{t.get('warn', 'policy')} / {t.get('breach', 'policy')}",
                k["baseline"]["value"],
            ]
        )
    out.append(_table(["KPI", "Current", "Warn / breach", "Baseline"], rows))
    for k in c["kpis"]:
        out.append(f"### {k['name']}\n\n{k['description']}\n")
    out.append("## Business outcomes\n")
    out.append(
        _table(
            ["Outcome", "Business KPI", "Target", "Model KPIs"],
            [
                [o["outcome"], o["business_kpi"], o["target"], ", ".join(o["model_kpis"])]
                for o in c["outcomes"]
            ],
        )
    )
    out.append("## Data\n")
    out.append(
        _table(
            ["Source", "Owner", "Categories", "Regions", "Authorisation"],
            [
                [
                    s["name"],
                    s["owner"],
                    ", ".join(s["categories"]),
                    ", ".join(s["regions"]),
                    s.get("authorisation", {}).get("record", "none"),
                ]
                for s in c["data_sources"]
            ],
        )
    )
    out.append("## Risks\n")
    for r in c["risks"]:
        out.append(
            f"### {r['title']}\n\n**Technical.** {r['technical']}\n\n**Business.** "
            f"{r['business']}\n\nLikelihood {r['likelihood']}, impact {r['impact']}, "
            f"{r['status']}. Mitigation: {r['mitigation']}\n"
        )
    out.append("## Escalation\n")
    out.append(
        _table(
            ["Level", "On", "After", "Who", "Response"],
            [
                [e["name"], e["on"], e["after_days"], e["who"], e["response_time"]]
                for e in c["escalation"]
            ],
        )
    )
    out.append("## Decision rights\n")
    out.append(
        _table(
            ["Decision", "Accountable", "Responsible", "Consulted", "Informed"],
            [
                [
                    d["decision"],
                    d["accountable"],
                    ", ".join(d["responsible"]),
                    ", ".join(d["consulted"]),
                    ", ".join(d["informed"]),
                ]
                for d in c["decision_rights"]
            ],
        )
    )
    out.append("## Operating rhythm\n")
    out.append(
        _table(
            ["Ritual", "Every", "Last held", "Attendees"],
            [
                [r["ritual"], r["cadence_days"], r["last_held"], ", ".join(r["attendees"])]
                for r in c["rhythm"]
            ],
        )
    )
    out.append("## Onboarding\n")
    out.extend(f"- [{'x' if i['done'] else ' '}] {i['item']}" for i in c["onboarding"])
    out.append(f"\n## Notes\n\n{c['notes']}\n")
    return "\n".join(out)


def generate_bare(root: Path, models: list[Model], seed: int) -> None:
    groups: dict[str, list[Model]] = {}
    for m in models:
        groups.setdefault(m.unit, []).append(m)
    sections = [
        {unit: [{m.charter["name"]: f"models/{m.id}.md"} for m in sorted(ms, key=lambda m: m.id)]}
        for unit, ms in sorted(groups.items())
    ]
    nav = [
        {"Home": "index.md"},
        {"Portfolio dashboard": "dashboard.md"},
        {"Models": sections},
        {"Reference": [{"Charter": "reference/charter.md"}, {"Policy": "reference/policy.md"}]},
    ]
    write(root / "mkdocs.yml", dump_yaml(mkdocs_config(nav, aipo=False)))
    write(root / "docs/index.md", INDEX.format(n=len(models), units=len(BUSINESS_UNITS), seed=seed))
    rows = [
        [f"[{m.charter['name']}](models/{m.id}.md)", m.unit, m.charter["lifecycle"]["stage"]]
        for m in models
    ]
    write(
        root / "docs/dashboard.md",
        "# Portfolio dashboard\n\n" + _table(["Model", "Unit", "Stage"], rows),
    )
    write(
        root / "docs/reference/charter.md",
        "# Charter reference\n\n```yaml\n" + dump_yaml(models[0].charter) + "```\n",
    )
    write(
        root / "docs/reference/policy.md",
        "# Policy reference\n\n```yaml\n" + dump_yaml(POLICY) + "```\n",
    )
    for m in models:
        write(root / f"docs/models/{m.id}.md", plain_page(m))


# ----------------------------------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------------------------------


@dataclass
class Build:
    seconds: float  # wall clock
    cpu_seconds: float  # user + system time of the build process
    max_rss_mb: float


def child_env(pycache: Path) -> dict[str, str]:
    """The environment of every timed interpreter.

    Bytecode goes to a cache under the output folder (PYTHONPYCACHEPREFIX), so neither project
    pays for compiling modules on every build even when PYTHONDONTWRITEBYTECODE is set, and
    nothing is written into the source tree.
    """
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPYCACHEPREFIX=str(pycache))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("AIPO_AS_OF", None)
    return env


# Where the previous builds' sites are moved (see mkdocs_build); None: MkDocs deletes them.
OLD_SITES: Path | None = None


def mkdocs_build(project: Path, env: dict[str, str]) -> Build:
    """One `mkdocs build --strict` in a fresh interpreter: wall time, CPU time and peak RSS.

    With :data:`OLD_SITES` set, the previous build's site is moved there first (a rename, no file
    deleted), so MkDocs writes into an empty folder, as on a CI runner's fresh checkout. Otherwise
    MkDocs deletes the previous site and writes it again at once, as on a laptop; on ext4 that
    costs more than the deleted files' count (the file system does not reuse the inodes it just
    freed and scans past them), which weighs on the larger site far more (benchmarks/README.md).
    """
    site = project / "site"
    if OLD_SITES is not None and site.exists():
        OLD_SITES.mkdir(parents=True, exist_ok=True)
        site.rename(OLD_SITES / f"{project.parent.name}-{project.name}-{time.monotonic_ns()}")
    log = project / "build.log"
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "build", "--strict"],
            cwd=project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"mkdocs build failed in {project}:\n{log.read_text(encoding='utf-8')[-4000:]}")
    return Build(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def count_pages(site: Path) -> int:
    """Model pages: models/<id>.html (offline plugin), or models/<id>/index.html."""
    return sum(1 for _ in (site / "models").glob("*.html")) or sum(
        1 for _ in (site / "models").rglob("index.html")
    )


def fresh_import(modules: str, env: dict[str, str], repeats: int = 3) -> float:
    """Median CPU seconds to import ``modules`` in a fresh interpreter."""
    code = "import time; t = time.process_time(); import {}; print(time.process_time() - t)"
    times = []
    for _ in range(repeats + 1):  # the first run fills the bytecode cache
        out = subprocess.run(
            [sys.executable, "-c", code.format(modules)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(out.stdout.strip()))
    return statistics.median(times[1:])


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median CPU seconds of ``fn`` over ``repeats`` calls, and its last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def pipeline_phases(project: Path, repeats: int) -> dict[str, float]:
    """aipo's load, evaluate and render phases in-process (what the plugin's on_pre_build runs)."""
    from aipo_site.evaluate import evaluate_repository
    from aipo_site.load.repository import Layout, load_repository
    from aipo_site.load.source import WorkingTree
    from aipo_site.pipeline import PortalOptions, render_portal
    from aipo_site.render.pages import Paths

    source = WorkingTree(project)
    layout = Layout(charters="docs/models", policy="docs/policy.yaml", metrics="metrics")
    options = PortalOptions(layout=layout, paths=Paths(docs_prefix="docs/"))
    load, repo = timed(lambda: load_repository(source, layout), repeats)
    evaluate, portfolio = timed(lambda: evaluate_repository(repo, AS_OF), repeats)
    render, portal = timed(lambda: render_portal(repo, portfolio, options), repeats)
    model_pages = set(portal.model_pages.values())
    pages = [text for src, text in portal.pages.items() if src in model_pages]
    return {
        "load": load,
        "evaluate": evaluate,
        "render": render,
        "model_page_kb": statistics.mean(len(p) for p in pages) / 1000,
    }


def profile_build(project: Path, out: Path, top: int = 30) -> str:
    """Run the aipo build in-process under cProfile; return the top functions as text."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    cwd = Path.cwd()
    os.chdir(project)
    try:
        config = load_config(str(project / "mkdocs.yml"), strict=True)
        config.plugins.on_startup(command="build", dirty=False)
        profiler = cProfile.Profile()
        profiler.runcall(build, config)
        config.plugins.on_shutdown()
    finally:
        os.chdir(cwd)
    out.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(out)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return text.getvalue()


@dataclass
class Result:
    models: int
    repeats: int
    aipo: list[float] = field(default_factory=list)  # wall seconds per timed build
    bare: list[float] = field(default_factory=list)
    aipo_cpu: list[float] = field(default_factory=list)  # CPU seconds per timed build
    bare_cpu: list[float] = field(default_factory=list)
    load_average: list[float] = field(default_factory=list)  # 1-minute, before each pair
    warm: list[float] = field(default_factory=list)  # warm aipo builds (--warm), wall seconds
    warm_cpu: list[float] = field(default_factory=list)
    aipo_rss_mb: float = 0.0
    bare_rss_mb: float = 0.0
    bare_page_kb: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def _ratio(a: list[float], b: list[float]) -> float:
        """Median of the per-pair ratios (each aipo build against the bare build after it)."""
        return statistics.median(x / y for x, y in zip(a, b, strict=True))

    @property
    def pair_ratios(self) -> list[float]:
        return [x / y for x, y in zip(self.aipo, self.bare, strict=True)]

    @property
    def ratio(self) -> float:
        return self._ratio(self.aipo, self.bare)

    @property
    def cpu_ratio(self) -> float:
        return self._ratio(self.aipo_cpu, self.bare_cpu)

    @property
    def warm_pair_ratios(self) -> list[float]:
        return [x / y for x, y in zip(self.warm, self.bare, strict=True)]

    def summary(self) -> dict[str, float]:
        out = {
            "aipo_median": statistics.median(self.aipo),
            "bare_median": statistics.median(self.bare),
            "ratio": self.ratio,
            "aipo_cpu_median": statistics.median(self.aipo_cpu),
            "bare_cpu_median": statistics.median(self.bare_cpu),
            "cpu_ratio": self.cpu_ratio,
        }
        if self.warm:
            out |= {
                "warm_median": statistics.median(self.warm),
                "warm_ratio": self._ratio(self.warm, self.bare),
                "warm_cpu_median": statistics.median(self.warm_cpu),
                "warm_cpu_ratio": self._ratio(self.warm_cpu, self.bare_cpu),
            }
        return out


def empty_cache(project: Path) -> None:
    """Remove the aipo build cache of ``project``: the next build is cold."""
    shutil.rmtree(project / CACHE_DIR, ignore_errors=True)


def run(
    n: int, repeats: int, out: Path, seed: int, env: dict[str, str], warm: bool = False
) -> Result:
    base = out / f"n{n}"
    if base.exists():
        shutil.rmtree(base)
    models = [make_model(i, seed) for i in range(n)]
    aipo, bare = base / "aipo", base / "bare"
    generate_aipo(aipo, models, seed)
    generate_bare(bare, models, seed)
    result = Result(n, repeats)
    # The warm-up builds fill the Vega bundle cache (~/.cache/aipo), the bytecode cache and the
    # OS file cache; they are not timed.
    print(f"[N={n}] generated {base}; one untimed warm-up build of each ...", file=sys.stderr)
    mkdocs_build(aipo, env)
    mkdocs_build(bare, env)
    for project, name in ((aipo, "aipo"), (bare, "bare")):
        pages = count_pages(project / "site")
        if pages != n:
            sys.exit(f"the {name} site has {pages} model pages, expected {n}")
    for i in range(repeats):
        result.load_average.append(os.getloadavg()[0])
        empty_cache(aipo)
        a = mkdocs_build(aipo, env)
        b = mkdocs_build(bare, env)
        result.aipo.append(a.seconds)
        result.bare.append(b.seconds)
        result.aipo_cpu.append(a.cpu_seconds)
        result.bare_cpu.append(b.cpu_seconds)
        result.aipo_rss_mb = max(result.aipo_rss_mb, a.max_rss_mb)
        result.bare_rss_mb = max(result.bare_rss_mb, b.max_rss_mb)
        line = (
            f"[N={n}] pair {i + 1}/{repeats}: aipo {a.seconds:.2f} s (CPU {a.cpu_seconds:.2f}), "
            f"bare {b.seconds:.2f} s (CPU {b.cpu_seconds:.2f})"
        )
        if warm:
            w = mkdocs_build(aipo, env)  # the cache the cold build above left
            result.warm.append(w.seconds)
            result.warm_cpu.append(w.cpu_seconds)
            line += f", aipo warm {w.seconds:.2f} s (CPU {w.cpu_seconds:.2f})"
        print(f"{line}; load average {result.load_average[-1]:.1f}", file=sys.stderr)
    result.phases = pipeline_phases(aipo, repeats)
    result.bare_page_kb = (
        statistics.mean(len((bare / f"docs/models/{m.id}.md").read_bytes()) for m in models) / 1000
    )
    return result


# ----------------------------------------------------------------------------------------------
# Reporting
# ----------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "?"

    try:
        import aipo_site

        checkout = Path(aipo_site.__file__).resolve().parent.parent
        revision = subprocess.run(
            ["git", "-C", str(checkout), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (ImportError, OSError, subprocess.CalledProcessError):
        revision = "?"
    return {
        "revision": revision,
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "mkdocs": version("mkdocs"),
        "mkdocs-material": version("mkdocs-material"),
        "aipo": version("aipo-portal"),
    }


def machine_line(m: dict[str, str]) -> str:
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['ram']} RAM, {m['os']}; Python {m['python']}, "
        f"mkdocs {m['mkdocs']}, mkdocs-material {m['mkdocs-material']}, aipo {m['aipo']} "
        f"({m['revision']})"
    )


def busy(results: list[Result]) -> str | None:
    """A warning when other work competed for the CPU while builds were timed.

    A build is single-threaded, so on an idle machine its wall time is close to its CPU time.
    """
    stretch = max(
        (
            w / c
            for r in results
            for w, c in zip(r.aipo + r.bare, r.aipo_cpu + r.bare_cpu, strict=True)
        ),
        default=1.0,
    )
    if stretch <= 1.15:
        return None
    load = max((x for r in results for x in r.load_average), default=0.0)
    return (
        f"other work competed for the CPU (a timed build took up to {stretch:.2f}x its CPU time "
        f"in wall time; 1-minute load average up to {load:.1f} on {os.cpu_count()} cores): wall "
        "times are inflated and noisy, the CPU-time ratio is the more reliable figure"
    )


def markdown_report(results: list[Result], m: dict[str, str], imports: dict[str, float]) -> str:
    lines = [
        "| Models | aipo build (s) | bare Material build (s) | Ratio (range) | CPU aipo / bare (s) | "
        "CPU ratio | aipo load / evaluate / render (CPU s) | Peak RSS aipo / bare (MB) |",
        "|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        p, t = r.phases, r.summary()
        lines.append(
            f"| {r.models:,} | {t['aipo_median']:.2f} | {t['bare_median']:.2f} | "
            f"**{t['ratio']:.2f}** ({min(r.pair_ratios):.2f}-{max(r.pair_ratios):.2f}) | "
            f"{t['aipo_cpu_median']:.2f} / {t['bare_cpu_median']:.2f} | "
            f"{t['cpu_ratio']:.2f} | {p['load']:.2f} / {p['evaluate']:.2f} / {p['render']:.2f} | "
            f"{r.aipo_rss_mb:.0f} / {r.bare_rss_mb:.0f} |"
        )
    if any(r.warm for r in results):
        lines += [
            "",
            "| Models | warm aipo build (s) | bare Material build (s) | Warm ratio (range) | "
            "CPU warm aipo / bare (s) | CPU ratio |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for r in results:
            t = r.summary()
            lines.append(
                f"| {r.models:,} | {t['warm_median']:.2f} | {t['bare_median']:.2f} | "
                f"**{t['warm_ratio']:.2f}** ({min(r.warm_pair_ratios):.2f}-"
                f"{max(r.warm_pair_ratios):.2f}) | {t['warm_cpu_median']:.2f} / "
                f"{t['bare_cpu_median']:.2f} | {t['warm_cpu_ratio']:.2f} |"
            )
    repeats = results[0].repeats if results else 0
    warning = busy(results)
    lines += [
        "",
        f"Median of {repeats} paired `mkdocs build --strict` runs (aipo, bare, aipo, bare, ...), "
        "each in a fresh interpreter, after one untimed warm-up build of each project (the "
        "warm-up caches the Vega bundle in `~/.cache/aipo`); every aipo build above is cold (its "
        f"build cache `{CACHE_DIR}` emptied first); a warm build follows the bare one of its "
        "pair with the cache the cold build left. "
        + (
            "Every build writes into an empty site folder, as in CI (the previous site moved "
            "aside). "
            if OLD_SITES is not None
            else "Every build deletes the previous site and writes it again (`--reuse-site`). "
        )
        + "Ratios are the median of the per-pair ratios. "
        f"Targets at 1,000 models: cold <= {TARGET_RATIO}, warm <= {TARGET_WARM_RATIO}. "
        "Each model has 4 KPIs "
        "x 365 daily values; the models are spread over 20 business units (20 nav sections, "
        "`navigation.prune`); the bare site has the same nav shape and the same charter facts as "
        "plain Markdown pages. Importing the aipo plugin takes "
        f"{imports['aipo']:.2f} s of CPU in a fresh interpreter (mkdocs' build command and "
        f"Material's search plugin: {imports['mkdocs']:.2f} s).",
        "",
        f"Machine: {machine_line(m)}.",
    ]
    if warning:
        lines += ["", f"Note: {warning}."]
    return "\n".join(lines)


def text_report(results: list[Result], m: dict[str, str], imports: dict[str, float]) -> str:
    lines = [
        f"machine: {machine_line(m)}",
        f"imports (CPU s, fresh interpreter): aipo plugin {imports['aipo']:.2f}, "
        f"mkdocs build + material search {imports['mkdocs']:.2f}",
        "site folder: "
        + (
            "each build writes into an empty one (as in CI)"
            if OLD_SITES is not None
            else "each build deletes and rewrites the previous one (--reuse-site)"
        ),
    ]
    for r in results:
        p, t = r.phases, r.summary()
        verdict = "met" if t["ratio"] <= TARGET_RATIO else "MISSED"
        lines += [
            f"N={r.models}: aipo {t['aipo_median']:.2f} s, bare {t['bare_median']:.2f} s, "
            f"ratio {t['ratio']:.2f} (pairs {min(r.pair_ratios):.2f}-{max(r.pair_ratios):.2f}; "
            f"target <= {TARGET_RATIO}: {verdict}); CPU aipo "
            f"{t['aipo_cpu_median']:.2f} s, bare {t['bare_cpu_median']:.2f} s, "
            f"ratio {t['cpu_ratio']:.2f}",
            f"    wall aipo {[round(x, 2) for x in r.aipo]}, bare {[round(x, 2) for x in r.bare]}",
            f"    CPU  aipo {[round(x, 2) for x in r.aipo_cpu]}, "
            f"bare {[round(x, 2) for x in r.bare_cpu]}",
            *(
                [
                    f"    warm (cache kept): aipo {t['warm_median']:.2f} s, ratio "
                    f"{t['warm_ratio']:.2f} (pairs {min(r.warm_pair_ratios):.2f}-"
                    f"{max(r.warm_pair_ratios):.2f}; target <= {TARGET_WARM_RATIO}: "
                    f"{'met' if t['warm_ratio'] <= TARGET_WARM_RATIO else 'MISSED'}); CPU "
                    f"{t['warm_cpu_median']:.2f} s, ratio {t['warm_cpu_ratio']:.2f}",
                    f"    warm wall {[round(x, 2) for x in r.warm]}, "
                    f"CPU {[round(x, 2) for x in r.warm_cpu]}",
                ]
                if r.warm
                else []
            ),
            f"    aipo pipeline in-process (CPU s): load {p['load']:.2f}, "
            f"evaluate {p['evaluate']:.2f}, render {p['render']:.2f}",
            f"    peak RSS aipo {r.aipo_rss_mb:.0f} MB, bare {r.bare_rss_mb:.0f} MB; "
            f"model page Markdown aipo {p['model_page_kb']:.1f} kB, bare {r.bare_page_kb:.1f} kB",
        ]
    warning = busy(results)
    if warning:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--models",
        type=int,
        nargs="+",
        default=[100, 1000],
        metavar="N",
        help="numbers of models to benchmark (default: 100 1000)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="paired timed builds per N (default: 3)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to generate and build the projects (kept; n<N>/ is replaced); "
        "default: a temporary folder, removed afterwards",
    )
    parser.add_argument(
        "--seed", type=int, default=SEED, help=f"seed of the synthetic data (default: {SEED})"
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="also time a warm aipo build (build cache kept, no input changed) in every pair",
    )
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the aipo build of the largest N"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument(
        "--reuse-site",
        action="store_true",
        help="let every build delete the previous site and write it again (a laptop's repeated "
        "builds); default: each timed build writes into an empty site folder, as in CI, the "
        "previous one moved aside and deleted at the end",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1 or any(n < 1 for n in args.models):
        parser.error("--models and --repeats must be positive")

    tmp = None
    if args.out is None:
        tmp = tempfile.TemporaryDirectory(prefix="aipo-bench-")
        out = Path(tmp.name)
    else:
        out = args.out.resolve()
    global OLD_SITES
    OLD_SITES = None if args.reuse_site else out / "old-sites"
    try:
        env = child_env(out / "pycache")
        results = [run(n, args.repeats, out, args.seed, env, args.warm) for n in args.models]
        imports = {
            "aipo": fresh_import("aipo_site.mkdocs_plugin.plugin", env),
            "mkdocs": fresh_import("mkdocs.commands.build, material.plugins.search.plugin", env),
        }
        m = machine()
        print(text_report(results, m, imports))
        if args.markdown:
            print()
            print(markdown_report(results, m, imports))
        if args.json:
            data = {
                "machine": m,
                "imports": imports,
                "results": [{**asdict(r), **r.summary()} for r in results],
            }
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        if args.profile:
            n = max(args.models)
            prof = out / f"n{n}" / "aipo-build.prof"
            print(f"\ncProfile of the aipo build, N={n} ({prof}):")
            print(profile_build(out / f"n{n}" / "aipo", prof))
    finally:
        if OLD_SITES is not None:
            shutil.rmtree(OLD_SITES, ignore_errors=True)
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
