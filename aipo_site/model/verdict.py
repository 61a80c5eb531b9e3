"""The two questions every model answers, and their answers (see :mod:`aipo_site.evaluate.verdict`).

- **performance**: "Is this model performing as intended?" — its KPIs against their thresholds and
  original baselines, its fairness checks (segment gaps) and the drift of its inputs;
- **governance**: "Is this model governed as required?" — its compliance findings against the
  policy.

Each answer is one value of a small enum, stable in ``aipo check --format json`` and sortable on
the dashboard, with one sentence for an executive saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Answer", "Question", "Verdict"]


class Question(StrEnum):
    """What is asked of every model."""

    performance = "performance"
    governance = "governance"

    @property
    def text(self) -> str:
        """The question in full: 'Is this model performing as intended?'."""
        return _QUESTION[self]

    @property
    def short(self) -> str:
        """The question as a column heading: 'Performing?'."""
        return _SHORT[self]

    @property
    def answers(self) -> tuple[Answer, ...]:
        """The answers this question can get, best first."""
        return _ANSWERS[self]


class Answer(StrEnum):
    """One answer to a :class:`Question`.

    Performance: ``yes``, ``at risk``, ``no``, ``cannot judge``, ``not judged``.
    Governance: ``yes``, ``gaps``, ``no``.
    """

    yes = "yes"
    at_risk = "at risk"
    gaps = "gaps"
    no = "no"
    cannot_judge = "cannot judge"
    not_judged = "not judged"

    @property
    def label(self) -> str:
        """As shown: 'At risk'."""
        return self.value.capitalize()

    @property
    def slug(self) -> str:
        """For CSS classes: 'at-risk'."""
        return self.value.replace(" ", "-")

    @property
    def rank(self) -> int:
        """Sort key, larger needs attention sooner: no > at risk, gaps > cannot judge > yes >
        not judged."""
        return _RANK[self]


_QUESTION = {
    Question.performance: "Is this model performing as intended?",
    Question.governance: "Is this model governed as required?",
}
_SHORT = {Question.performance: "Performing?", Question.governance: "Governed?"}
_ANSWERS = {
    Question.performance: (
        Answer.yes,
        Answer.at_risk,
        Answer.no,
        Answer.cannot_judge,
        Answer.not_judged,
    ),
    Question.governance: (Answer.yes, Answer.gaps, Answer.no),
}
_RANK = {
    Answer.not_judged: 0,
    Answer.yes: 1,
    Answer.cannot_judge: 2,
    Answer.at_risk: 3,
    Answer.gaps: 3,
    Answer.no: 4,
}


@dataclass(frozen=True)
class Verdict:
    """The answer to one question for one model, and why, in one sentence for an executive.

    ``sentence`` starts with a capital and ends with a full stop; it names KPIs by name, rounds
    numbers and gives their units, and never names a statistical method or a p-value (those are
    in the model page's detail tables).
    """

    question: Question
    answer: Answer
    sentence: str

    @property
    def text(self) -> str:
        """The answer and its sentence: 'At risk — Precision is 0.67, below ….'."""
        return f"{self.answer.label} — {self.sentence}"
