"""A compact, language-free form of a result's per-criterion outcomes, for storing in a Match.

Rules are not copied into every row: a stored outcome points at its criterion by key and at a
fix's requirement by (group, requirement) position, and is worded later against the program's
rules of the same version, in the reader's language.
"""

from dataclasses import dataclass
from typing import Any

from matchmaker.engine import (
    CriterionKind,
    CriterionSpec,
    Fix,
    Outcome,
    ProgramResult,
    RuleSet,
    Wording,
    describe_criterion,
    describe_fix,
)


def pack(result: ProgramResult) -> list[list[Any]]:
    """``[[key, outcome, fraction, [[group, requirement, outcome, actual], ...]], ...]``."""
    packed: list[list[Any]] = []
    for criterion in result.criteria:
        fixes = []
        for fix in criterion.fixes:
            for group_index, group in enumerate(criterion.requirements):
                positions = [
                    index
                    for index, requirement in enumerate(group)
                    if requirement.spec is fix.requirement
                ]
                if positions:
                    actual = fix.actual
                    if isinstance(actual, frozenset):
                        actual = sorted(actual)
                    fixes.append([group_index, positions[0], fix.outcome.value, actual])
                    break
        packed.append([criterion.key, criterion.outcome.value, criterion.fraction, fixes])
    return packed


@dataclass(frozen=True, slots=True)
class CriterionView:
    key: str
    label: str
    kind: CriterionKind
    outcome: Outcome
    fraction: float
    message: str
    fixes: tuple[str, ...]
    # The same fixes as data, in the same order: what a page can act on beyond the words (the
    # partner suggestions read the countries a partner requirement asks for).
    fix_details: tuple[Fix, ...] = ()


def unpack(packed: list[list[Any]], ruleset: RuleSet, wording: Wording) -> list[CriterionView]:
    """Words stored outcomes against ``ruleset``; entries it no longer has are left out."""
    specs: dict[str, CriterionSpec] = {criterion.key: criterion for criterion in ruleset.criteria}
    views = []
    for key, outcome, fraction, fixes in packed:
        spec = specs.get(key)
        if spec is None:
            continue
        words = []
        details = []
        for group_index, requirement_index, fix_outcome, actual in fixes:
            try:
                requirement = spec.groups[group_index].requirements[requirement_index]
            except IndexError:
                continue
            fix = Fix(requirement=requirement, outcome=Outcome(fix_outcome), actual=actual)
            words.append(str(describe_fix(fix, wording)))
            details.append(fix)
        views.append(
            CriterionView(
                key=key,
                label=spec.label,
                kind=spec.kind,
                outcome=Outcome(outcome),
                fraction=fraction,
                message=str(describe_criterion(spec, wording)),
                fixes=tuple(words),
                fix_details=tuple(details),
            )
        )
    return views
