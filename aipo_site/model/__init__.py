"""Typed domain objects: charters, policy, metric series and evaluation results. No I/O here."""

from .charter import Charter
from .policy import Policy

__all__ = ["Charter", "Policy"]
