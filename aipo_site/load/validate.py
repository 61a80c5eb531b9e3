"""Turn pydantic validation errors into aipo InputErrors with line numbers and suggestions.

Messages quote the input only as a short escaped snippet (:func:`~aipo_site.errors.snippet`): a
value or an unknown key can be long or hold characters that would break the one-line message.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import InputError, snippet
from .yamlfile import YamlDocument

__all__ = ["validate_document"]

M = TypeVar("M", bound=BaseModel)


def validate_document(
    doc: YamlDocument, model: type[M], what: str
) -> tuple[M | None, list[InputError]]:
    """Validate ``doc.data`` against ``model``; return the object or every error found."""
    if doc.data is None:
        return None, [InputError(doc.path, f"the file is empty; expected a {what} mapping")]
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        return None, [doc.error((), f"expected a {what} mapping at the top level, found a {kind}")]
    try:
        return model.model_validate(doc.data), []
    except ValidationError as e:
        return None, [_convert(doc, model, err) for err in e.errors(include_url=False)]


def _convert(doc: YamlDocument, model: type[BaseModel], err: Any) -> InputError:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    found = err.get("input")
    if kind == "extra_forbidden":
        name = str(loc[-1])
        allowed = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        listing = f" Allowed here: {', '.join(sorted(allowed))}." if allowed and not close else ""
        return doc.error(loc, f"unknown field {snippet(name)}{hint}{listing}", at_key=True)
    if kind == "missing":
        return doc.error(loc, "required field is missing")
    message = _message(err, found)
    return doc.error(loc, message)


def _message(err: Any, found: Any) -> str:
    kind = err["type"]
    msg: str = err["msg"]
    if kind.startswith("value_error"):
        msg = msg.removeprefix("Value error, ")
        return msg
    shown = _show(found)
    if kind == "string_type" and isinstance(found, int | float | bool):
        return f"expected text, found {shown}; put it in quotes if it is meant as text"
    if kind == "bool_type" or kind == "bool_parsing":
        return f"expected true or false, found {shown}"
    if kind.startswith("date"):
        return f"expected a date YYYY-MM-DD, found {shown} ({msg[0].lower() + msg[1:]})"
    if kind == "enum":
        return f"{msg[0].lower() + msg[1:]}, found {shown}"
    if kind == "string_pattern_mismatch":
        return f"found {shown}, which does not match the required pattern {err['ctx']['pattern']}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping, found {shown}"
    if kind == "list_type":
        return f"expected a list, found {shown}"
    return f"{msg[0].lower() + msg[1:]}, found {shown}"


def _show(value: Any) -> str:
    """The input a message quotes: short and escaped (see :func:`~aipo_site.errors.snippet`)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return snippet(value)


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the pydantic model found by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            current = _item_type(current)
            continue
        cls = _model_of(current)
        if cls is None:
            return []
        if part not in cls.model_fields:
            # a dict key (e.g. a metric name in the policy): step into the value type
            current = _item_type(current, mapping=True)
            continue
        current = cls.model_fields[part].annotation
    cls = _model_of(current)
    return list(cls.model_fields) if cls else []


def _model_of(tp: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for arg in typing.get_args(tp):
        found = _model_of(arg)
        if found:
            return found
    return None


def _item_type(tp: Any, mapping: bool = False) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is not type(None):
                return _item_type(arg, mapping)
    args = typing.get_args(tp)
    if not args:
        return tp
    return args[-1] if mapping or origin is dict else args[0]
