"""A model as a CycloneDX 1.6 ML-BOM: the model, its data sources and its model card, in JSON.

One BOM per model. Its subject (``metadata.component``) is the model, a component of type
``machine-learning-model``: name, version (the charter's ``release``), description (the summary),
supplier (the business unit, with the AI Product Owner as contact), authors (the owner), and
``aipo:*`` properties for what CycloneDX has no field for (status, the two answers, each KPI's
thresholds and status). Each data source is a component of type ``data`` that the model depends
on, with its ``data[].governance.owners`` from the charter's data owner and the people directory.

cyclonedx-python-lib builds and serialises the BOM (metadata, components, dependencies), but its
11.x releases do not model a component's ``modelCard`` (see the commented-out ``model_card`` in
``cyclonedx/model/component.py``) nor its ``data``. Both are added to the serialised JSON here, and
the final document is validated with the library's own bundled strict 1.6 schema before it is
returned. An invalid document is never returned: a validation failure raises
:class:`BomValidationError`, a bug in aipo (the CLI exits 3), never a problem in the user's files.

Deterministic: the timestamp is the evaluation date at 00:00 UTC, and the serial number is a
UUID 5 of the document's own content (everything but the serial number), so the same inputs give
the same bytes and any change gives a new serial number.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from cyclonedx.exception.model import InvalidUriException
from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.contact import OrganizationalContact, OrganizationalEntity
from cyclonedx.model.lifecycle import NamedLifecycle
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from jsonschema.validators import Draft7Validator

from ..model.charter import DataSource, is_person_key
from ..model.people import PeopleDirectory, PersonKind
from ..model.results import KpiResult, Level, ModelResult, Status

__all__ = [
    "BOM_NAMESPACE",
    "BomValidationError",
    "render_mlbom",
    "validate_bom",
]

# The namespace of the serial numbers (UUID 5 of the content): fixed, so they are reproducible.
BOM_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://aipo.dev/cyclonedx/ml-bom")
_PLACEHOLDER_SERIAL = uuid.UUID(int=0)
_FORMATS = Draft7Validator.FORMAT_CHECKER


class BomValidationError(RuntimeError):
    """The ML-BOM aipo built does not validate against the CycloneDX 1.6 strict schema.

    Not an :class:`~aipo_site.errors.AipoError` on purpose: charter text is only ever placed in
    string fields, so an invalid document is a bug in this module, and the CLI reports it as one
    (exit 3) instead of blaming the user's files (exit 2).
    """


@functools.cache
def _validator() -> JsonStrictValidator:
    # Loading the schema and its registry takes a moment: once per process.
    return JsonStrictValidator(SchemaVersion.V1_6)


def validate_bom(text: str) -> None:
    """Raise :class:`BomValidationError` unless ``text`` is a valid CycloneDX 1.6 JSON BOM
    (the library's bundled strict schema: no unknown properties anywhere)."""
    error = _validator().validate_str(text)
    if error is not None:
        raise BomValidationError(
            f"aipo built an invalid CycloneDX 1.6 document ({error}); this is a bug in aipo"
        )


def _one_line(value: object) -> str:
    """Text for a single-line field: every run of whitespace (line breaks too) as one space."""
    return " ".join(str(value).split())


def _number(value: float) -> str:
    """A number as CycloneDX's string-typed metric values want it (up to 10 significant digits,
    so float noise such as 0.30000000000000004 is not shown)."""
    return format(float(value), ".10g")


def _url(value: str | None) -> XsUri | None:
    """An http(s) address that the schema's ``iri-reference`` format accepts; None for anything
    else (charter links are free text: they then stay a property, as text)."""
    if not value:
        return None
    text = value.strip()
    try:
        parts = urlsplit(text)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            return None
        uri = XsUri(text)
    except (ValueError, InvalidUriException):  # not an address (e.g. 'http://[::1'): text
        return None
    return uri if _FORMATS.conforms(str(uri), "iri-reference") else None


def _email(value: str | None) -> str | None:
    return value if value and _FORMATS.conforms(value, "idn-email") else None


def _party(value: str, people: PeopleDirectory | None) -> dict[str, Any]:
    """A data governance party (``dataGovernanceResponsibleParty``) for a person field: a team of
    the directory is an organisation, a person of the directory or a plain name a contact."""
    entry = people.get(value) if people is not None and is_person_key(value) else None
    if entry is None:
        return {"contact": {"name": _one_line(value)}}
    contact: dict[str, Any] = {"name": _one_line(entry.name)}
    email = _email(entry.email)
    if email:
        contact["email"] = email
    if entry.kind is PersonKind.team:
        organization: dict[str, Any] = {"name": _one_line(entry.name)}
        if email:
            organization["contact"] = [contact]
        return {"organization": organization}
    return {"contact": contact}


def _props(pairs: Iterable[tuple[str, object]]) -> list[Property]:
    return [
        Property(name=name, value=str(value)) for name, value in pairs if value not in (None, "")
    ]


def _kpi_props(k: KpiResult) -> list[tuple[str, object]]:
    key = f"aipo:kpi:{k.metric}"
    out: list[tuple[str, object]] = [
        (f"{key}:name", k.name),
        (f"{key}:status", k.status.value),
        (f"{key}:message", k.message),
        (f"{key}:window", f"{k.window_days}-day {k.aggregation.value}"),
    ]
    if k.value is not None and math.isfinite(k.value):
        out.append((f"{key}:value", _number(k.value)))
    if k.direction is not None:
        out.append((f"{key}:direction", k.direction.value))
    if k.thresholds is not None:
        out += [
            (f"{key}:threshold:warn", _number(k.thresholds.warn)),
            (f"{key}:threshold:breach", _number(k.thresholds.breach)),
            (f"{key}:threshold:source", k.threshold_source),
        ]
    if k.baseline is not None:
        out.append((f"{key}:baseline", _number(k.baseline)))
    if k.unit:
        out.append((f"{key}:unit", k.unit))
    return out


def _model_component(r: ModelResult, ref: str) -> Component:
    c = r.charter
    owner = OrganizationalContact(name=_one_line(c.owner.label), email=_email(c.owner.email))
    pairs: list[tuple[str, object]] = [
        ("aipo:model-id", c.id),
        ("aipo:charter", r.path),
        ("aipo:business-unit", c.business_unit),
        ("aipo:status", r.status.label),
        ("aipo:status:since", r.since.isoformat() if r.since else None),
        ("aipo:lifecycle:stage", c.lifecycle.stage.value),
        ("aipo:lifecycle:since", c.lifecycle.since.isoformat()),
        ("aipo:owner", c.owner.label),
        ("aipo:incident-owner", c.incident_owner.label if c.incident_owner else None),
        ("aipo:escalation", r.escalation.level.name if r.escalation.level else None),
        ("aipo:retraining-due", r.retraining_due.isoformat() if r.retraining_due else None),
        ("aipo:release:artifact", c.release.artifact if c.release else None),
    ]
    for question, verdict in (("performance", r.performance), ("governance", r.governance)):
        if verdict is not None:
            pairs += [
                (f"aipo:{question}", verdict.answer.value),
                (f"aipo:{question}:sentence", verdict.sentence),
            ]
    for k in r.kpis:
        pairs += _kpi_props(k)
    for f in r.findings:
        pairs.append((f"aipo:finding:{f.code}", f"{f.level.label}: {f.message}"))
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=ref,
        name=_one_line(c.name),
        version=_one_line(c.release.version) if c.release else None,
        description=c.summary,
        supplier=OrganizationalEntity(name=_one_line(c.business_unit), contacts=[owner]),
        authors=[owner],
        properties=_props(pairs),
    )


def _data_component(s: DataSource, ref: str) -> Component:
    pairs: list[tuple[str, object]] = [
        ("aipo:data:owner", s.owner),
        ("aipo:data:categories", ", ".join(s.categories)),
        ("aipo:data:regions", ", ".join(s.regions)),
        ("aipo:data:lineage", " → ".join(s.lineage)),
    ]
    refs = []
    contract = _url(s.contract)
    if contract is not None:
        refs.append(
            ExternalReference(
                type=ExternalReferenceType.DOCUMENTATION, url=contract, comment="Data contract"
            )
        )
    else:
        pairs.append(("aipo:data:contract", s.contract))
    a = s.authorisation
    if a is not None:
        pairs += [
            ("aipo:data:authorisation:record", a.record),
            ("aipo:data:authorisation:legal-basis", a.legal_basis),
            ("aipo:data:authorisation:approved-by", a.approved_by),
            ("aipo:data:authorisation:date", a.date.isoformat() if a.date else None),
        ]
        record = _url(a.url)
        if record is not None:
            refs.append(
                ExternalReference(
                    type=ExternalReferenceType.RISK_ASSESSMENT,
                    url=record,
                    comment=f"Authorisation record {_one_line(a.record)}",
                )
            )
        else:
            pairs.append(("aipo:data:authorisation:url", a.url))
    return Component(
        type=ComponentType.DATA,
        bom_ref=ref,
        name=_one_line(s.name),
        description=s.description,
        external_references=refs,
        properties=_props(pairs),
    )


def _component_data(s: DataSource, people: PeopleDirectory | None) -> list[dict[str, Any]]:
    """The data component's ``data`` (not modelled by the library)."""
    entry: dict[str, Any] = {"type": "dataset", "name": _one_line(s.name)}
    if s.categories:
        entry["classification"] = ", ".join(s.categories)
    a = s.authorisation
    if a is not None and s.categories:
        where = f" of {', '.join(s.regions)}" if s.regions else ""
        basis = f": {a.legal_basis}" if a.legal_basis else ""
        entry["sensitiveData"] = [
            f"{', '.join(s.categories)} data{where}, authorised by {a.record}{basis}"
        ]
    if s.owner:
        entry["governance"] = {"owners": [_party(s.owner, people)]}
    return [entry]


def _performance_metrics(r: ModelResult) -> list[dict[str, str]]:
    """Each KPI's current value (overall), then each segment's value of every fairness check."""
    out = []
    for k in r.kpis:
        if k.value is None or not math.isfinite(k.value):
            continue  # no data: its status is in the properties
        start = k.window_start.isoformat() if k.window_start else None
        window = f"{start} to {r.as_of.isoformat()}" if start else r.as_of.isoformat()
        out.append(
            {
                "type": k.metric,
                "value": _number(k.value),
                "slice": f"overall, {k.window_days}-day {k.aggregation.value} ({window})",
            }
        )
    for seg in r.segments:
        for v in seg.values:
            if math.isfinite(v.value):
                out.append(
                    {
                        "type": seg.check.metric,
                        "value": _number(v.value),
                        "slice": f"segment {_one_line(v.segment)} of {seg.name}, {v.rows} rows",
                    }
                )
    return out


def _considerations(r: ModelResult) -> dict[str, Any]:
    c = r.charter
    use_cases = [c.summary]
    for o in c.outcomes:
        target = f", target {o.target}" if o.target else ""
        use_cases.append(f"{o.outcome.rstrip('.')} (measured by {o.business_kpi}{target})")
    limitations = [f"{x.risk.title}: {x.risk.technical}" for x in r.risks if x.carried]
    limitations += [
        f"{k.name} is {k.status.value}: {k.message}" for k in r.kpis if k.status is not Status.OK
    ]
    if r.drift is not None and r.drift.level > Level.OK and r.drift.summary:
        limitations.append(f"Data drift: {r.drift.summary}")
    out: dict[str, Any] = {"users": [c.business_unit], "useCases": use_cases}
    if limitations:
        out["technicalLimitations"] = limitations
    if len(c.outcomes) > 1:
        # Outcomes measured by different KPIs pull the model in different directions (catch
        # more fraud / decline fewer genuine payments): the balance is its trade-off.
        served = [
            f"{o.outcome.rstrip('.')} ({', '.join(o.model_kpis)})" if o.model_kpis else o.outcome
            for o in c.outcomes
        ]
        out["performanceTradeoffs"] = [
            "The model balances its business outcomes, each measured by its own KPIs: "
            + "; ".join(served)
        ]
    ethical = []
    for x in r.risks:
        if not x.carried:
            continue
        risk: dict[str, str] = {"name": f"{x.risk.title} ({x.risk.kind.value}): {x.business}"}
        if x.risk.mitigation:
            risk["mitigationStrategy"] = x.risk.mitigation
        ethical.append(risk)
    if ethical:
        out["ethicalConsiderations"] = ethical
    fairness = []
    for seg in r.segments:
        if seg.worst is None:
            continue
        assessment = {
            "groupAtRisk": f"Segment {_one_line(seg.worst.segment)} ({seg.name})",
            "harms": seg.check.description or seg.message,
        }
        mitigation = next(
            (
                x.risk.mitigation
                for x in r.risks
                if x.carried
                and x.risk.mitigation
                and x.measured_by is not None
                and x.measured_by.segment == seg.check.metric
            ),
            None,
        )
        if mitigation:
            assessment["mitigationStrategy"] = mitigation
        fairness.append(assessment)
    if fairness:
        out["fairnessAssessments"] = fairness
    return out


def _model_card(r: ModelResult, data_refs: list[str]) -> dict[str, Any]:
    """The model component's ``modelCard`` (not modelled by the library)."""
    card: dict[str, Any] = {"considerations": _considerations(r)}
    if data_refs:
        card["modelParameters"] = {"datasets": [{"ref": ref} for ref in data_refs]}
    metrics = _performance_metrics(r)
    if metrics:
        card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    return card


def render_mlbom(
    result: ModelResult,
    *,
    people: PeopleDirectory | None = None,
    revision: str | None = None,
    generator: str | None = None,
) -> str:
    """The CycloneDX 1.6 JSON ML-BOM of one evaluated model (validated; see the module doc).

    ``people`` is the people directory (None without one): it names the data owners given by
    key. ``revision`` is the source commit, ``generator`` aipo's version, both recorded in the
    metadata when known.
    """
    c = result.charter
    model_ref = f"model/{c.id}"
    data_refs = [f"{model_ref}/data/{i}" for i in range(1, len(c.data_sources) + 1)]
    model = _model_component(result, model_ref)
    tool = Component(type=ComponentType.APPLICATION, name="aipo", version=generator)
    metadata = BomMetaData(
        timestamp=dt.datetime.combine(result.as_of, dt.time(0), tzinfo=dt.UTC),
        component=model,
        lifecycles=[
            NamedLifecycle(
                name=c.lifecycle.stage.value,
                description=f"aipo lifecycle stage since {c.lifecycle.since.isoformat()}",
            )
        ],
        properties=_props([("aipo:as-of", result.as_of.isoformat()), ("aipo:revision", revision)]),
    )
    metadata.tools.components.add(tool)
    bom = Bom(serial_number=_PLACEHOLDER_SERIAL, metadata=metadata)
    data = [_data_component(s, ref) for s, ref in zip(c.data_sources, data_refs, strict=True)]
    for component in data:
        bom.components.add(component)
    bom.register_dependency(model, data)

    doc = json.loads(JsonV1Dot6(bom).output_as_string())
    doc["metadata"]["component"]["modelCard"] = _model_card(result, data_refs)
    by_ref = {comp["bom-ref"]: comp for comp in doc.get("components", [])}
    for source, ref in zip(c.data_sources, data_refs, strict=True):
        by_ref[ref]["data"] = _component_data(source, people)

    del doc["serialNumber"]
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    doc["serialNumber"] = uuid.uuid5(BOM_NAMESPACE, canonical).urn
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    validate_bom(text)
    return text
