"""aipo: governance as code for machine-learning models.

The public API is the pipeline's three stages and their types; everything else is internal::

    from aipo_site import Layout, WorkingTree, load_repository, evaluate_repository

    repo = load_repository(WorkingTree("."), Layout())
    portfolio = evaluate_repository(repo, as_of=datetime.date(2026, 11, 20))
    for model in portfolio.models:
        print(model.id, model.status.label, model.performance.text, model.governance.text)

The MkDocs plugin (entry point ``aipo``) and the ``aipo`` command are thin shells over these.
"""

from .errors import AipoError, ConfigError, GitError, InputError, InputErrors, SourceError
from .evaluate import evaluate_model, evaluate_repository
from .load.git import GitRevision
from .load.repository import load_repository
from .load.source import Source, WorkingTree
from .model.charter import Charter
from .model.inputs import Layout, ModelInputs, Repository
from .model.policy import Policy
from .model.results import (
    DriftResult,
    Escalation,
    FeatureDrift,
    Finding,
    KpiResult,
    Level,
    ModelResult,
    Portfolio,
    SegmentResult,
    Status,
)
from .model.verdict import Verdict
from .pipeline import Portal, PortalOptions, build_portal, resolve_as_of

__version__ = "0.1.0"

__all__ = [
    "AipoError",
    "Charter",
    "ConfigError",
    "DriftResult",
    "Escalation",
    "FeatureDrift",
    "Finding",
    "GitError",
    "GitRevision",
    "InputError",
    "InputErrors",
    "KpiResult",
    "Layout",
    "Level",
    "ModelInputs",
    "ModelResult",
    "Policy",
    "Portal",
    "PortalOptions",
    "Portfolio",
    "Repository",
    "SegmentResult",
    "Source",
    "SourceError",
    "Status",
    "Verdict",
    "WorkingTree",
    "__version__",
    "build_portal",
    "evaluate_model",
    "evaluate_repository",
    "load_repository",
    "resolve_as_of",
]
