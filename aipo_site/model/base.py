"""What every charter, policy, record and source type shares: the strict base model and the
text types (model/charter.py re-exports them; regulation.py and sources.py, which charter.py
imports, take them from here)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ShortText", "Strict", "Text"]

Text = Annotated[str, Field(min_length=1, max_length=2000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    """Base for every charter and policy type: unknown fields are errors, booleans are strict."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
