"""The live eligibility check: a company's facts against one program's compiled rules.

Validates nothing: the caller (the API's input serializer, a form) hands in facts it has already
checked. The result is worded in the active language, ready to serialize.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matchmaker.engine import (
    CriterionKind,
    Eligibility,
    Outcome,
    Wording,
    describe_criterion,
    describe_fix,
    read_facts,
)
from programs.models import Program
from programs.rules import wording
from programs.selectors import compiled_program


@dataclass(frozen=True, slots=True)
class CriterionVerdict:
    key: str
    label: str
    kind: CriterionKind
    outcome: Outcome
    message: str  # the rule in plain language
    fixes: tuple[str, ...]  # for a gate that does not pass: what would make it pass


@dataclass(frozen=True, slots=True)
class EligibilityReport:
    program: str  # slug
    eligibility: Eligibility
    score: float | None
    rules_version: int
    criteria: tuple[CriterionVerdict, ...]


def eligibility_report(
    *, program: Program, facts: Mapping[str, Any], words: Wording | None = None
) -> EligibilityReport:
    """Evaluates ``facts`` (fact name → value; absent or None is unknown) against ``program``.

    Queries: none for rules compiled earlier in this process at the program's rules version
    (three otherwise), plus one for the sector names the wording uses unless ``words`` is
    given — a caller reporting on many programs builds it once (``programs.rules.wording()``).
    """
    compiled = compiled_program(program)
    result = compiled.evaluate(read_facts(facts))
    specs = {criterion.key: criterion for criterion in compiled.ruleset.criteria}
    words = words if words is not None else wording()
    return EligibilityReport(
        program=result.program,
        eligibility=result.eligibility,
        score=result.score,
        rules_version=result.version,
        criteria=tuple(
            CriterionVerdict(
                key=criterion.key,
                label=criterion.label,
                kind=criterion.kind,
                outcome=criterion.outcome,
                message=str(describe_criterion(specs[criterion.key], words)),
                fixes=tuple(str(describe_fix(fix, words)) for fix in criterion.fixes),
            )
            for criterion in result.criteria
        ),
    )
