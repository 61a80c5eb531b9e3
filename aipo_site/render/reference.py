"""Reference pages generated from the pydantic models' JSON Schema, so docs cannot drift."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup, escape
from pydantic import BaseModel

from ..model.charter import Charter
from ..model.decisions import DecisionRecord
from ..model.incidents import IncidentRecord
from ..model.people import PeopleDirectory
from ..model.policy import Policy
from ..model.regulation import Crosswalk, Sources
from ..model.reviews import ReviewRecord
from ..model.sources import SourcesFile
from .env import environment

__all__ = ["SCHEMA_MODELS", "json_schema", "render_reference", "schema_files"]

# Every file aipo reads that has a JSON Schema: file name -> the model it validates with.
SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "charter.schema.json": Charter,
    "policy.schema.json": Policy,
    "people.schema.json": PeopleDirectory,
    "decision.schema.json": DecisionRecord,
    "review.schema.json": ReviewRecord,
    "incident.schema.json": IncidentRecord,
    "sources.schema.json": SourcesFile,
    # The crosswalk bundled with aipo (aipo_site/crosswalk/): published with the portal too.
    "crosswalk.schema.json": Crosswalk,
    "crosswalk-sources.schema.json": Sources,
}


def json_schema(model: type[BaseModel]) -> str:
    """The model's JSON Schema (draft 2020-12) as stable, pretty JSON."""
    schema = model.model_json_schema(mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_files() -> dict[str, str]:
    """File name -> JSON Schema text, for every file aipo reads that has one."""
    return {name: json_schema(model) for name, model in SCHEMA_MODELS.items()}


def _object_of(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The object a definition describes: itself, or the object among its alternatives (a
    Contact is text or a mapping)."""
    if schema.get("type") == "object":
        return schema
    return next((p for p in schema.get("anyOf", []) if p.get("type") == "object"), None)


def _type_html(prop: dict[str, Any], defs: dict[str, Any]) -> Markup:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        definition = defs.get(name, {})
        if definition.get("type") != "object" and _object_of(definition) is not None:
            link = Markup('<a href="#ref-{}">{}</a>').format(name.lower(), name)
            others = [p for p in definition["anyOf"] if p.get("type") != "object"]
            return Markup(" or ").join([*(_type_html(p, defs) for p in others), link])
        if definition.get("type") != "object":
            return _type_html(defs.get(name, {}), defs)
        return Markup('<a href="#ref-{}">{}</a>').format(name.lower(), name)
    if "anyOf" in prop:
        parts = [_type_html(p, defs) for p in prop["anyOf"] if p.get("type") != "null"]
        return Markup(" or ").join(parts)
    if "enum" in prop:
        return Markup(" | ").join(Markup("<code>{}</code>").format(v) for v in prop["enum"])
    kind = prop.get("type", "any")
    if kind == "array":
        return Markup("list of ") + _type_html(prop.get("items", {}), defs)
    if kind == "object":
        inner = prop.get("additionalProperties")
        if isinstance(inner, dict):
            return Markup("mapping of name → ") + _type_html(inner, defs)
        return Markup("mapping")
    if kind == "string" and prop.get("format") == "date":
        return Markup("date (YYYY-MM-DD)")
    if kind == "string" and prop.get("format") == "date-time":
        return Markup("date-time with a time zone (2026-11-18T07:40:00Z)")
    names = {"string": "text", "integer": "integer", "number": "number", "boolean": "true/false"}
    return escape(names.get(kind, kind))


def _constraints(prop: dict[str, Any]) -> str:
    target = prop
    if "anyOf" in prop:
        target = next((p for p in prop["anyOf"] if p.get("type") != "null"), prop)
    parts = []
    for key, label in (
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "at least {} characters"),
        ("maxLength", "at most {} characters"),
        ("minItems", "at least {} items"),
        ("pattern", "pattern {}"),
    ):
        if key in target:
            value = target[key]
            parts.append(label.format(value) if "{}" in label else f"{label} {value}")
    return ("Constraints: " + ", ".join(parts) + ".") if parts else ""


def _object(name: str, schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    required = set(schema.get("required", []))
    fields = []
    for field, prop in schema.get("properties", {}).items():
        default = prop.get("default")
        fields.append(
            {
                "name": field,
                "type_html": _type_html(prop, defs),
                "required": field in required,
                "description": prop.get("description", ""),
                "default": json.dumps(default)
                if "default" in prop and default not in ([], {}, None)
                else None,
                "constraints": _constraints(prop),
            }
        )
    return {
        "title": name,
        "anchor": name.lower(),
        "description": schema.get("description", ""),
        "fields": fields,
    }


def render_reference(model: type[BaseModel], title: str, intro: Markup | str) -> str:
    """A Markdown page documenting every object of ``model``'s schema, top-level first."""
    schema = model.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    objects = [_object(model.__name__, schema, defs)]
    for name in sorted(defs):
        found = _object_of(defs[name])
        if found is not None:
            objects.append(_object(name, found, defs))
    return (
        environment()
        .get_template("reference.md.j2")
        .render(title=title, intro=intro, objects=objects)
    )
