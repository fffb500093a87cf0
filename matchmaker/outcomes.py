"""A compact, language-free form of a result's per-criterion outcomes, for storing in a Match.

Rules are not copied into every row: a stored outcome points at its criterion by key and at a
fix's requirement by (group, requirement) position, and is worded later against the program's
rules of the same version, in the reader's language.
"""

from collections.abc import Hashable, MutableMapping
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


# Words already built for one ruleset in one language: criterion key → its sentence, and
# (criterion key, group, requirement, outcome, actual) → a fix's words.
WordsMemo = MutableMapping[tuple[Hashable, ...], str]


def _actual_key(actual: Any) -> tuple[Hashable, ...] | None:
    """A stored fix's actual value as part of a memo key; None when it cannot be one. The type
    is part of it: True and 1 are equal keys in a dict, but not the same words."""
    if isinstance(actual, list):
        if not all(isinstance(item, str | int | float | bool) or item is None for item in actual):
            return None
        return ("list", *((type(item).__name__, item) for item in actual))
    if isinstance(actual, str | int | float | bool) or actual is None:
        return (type(actual).__name__, actual)
    return None


def unpack(
    packed: list[list[Any]],
    ruleset: RuleSet,
    wording: Wording,
    *,
    memo: WordsMemo | None = None,
) -> list[CriterionView]:
    """Words stored outcomes against ``ruleset``; entries it no longer has are left out.

    ``memo``, when given, keeps the words built here for later calls with the same ruleset and
    wording: a criterion reads the same for every company, and a fix the same for every company
    with the same answer, so a list of matches words each of them once.
    """
    memo = memo if memo is not None else {}
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
            actual_key = _actual_key(actual)
            if actual_key is None:
                words.append(str(describe_fix(fix, wording)))
            else:
                fix_key = (key, group_index, requirement_index, fix_outcome, *actual_key)
                text = memo.get(fix_key)
                if text is None:
                    text = memo[fix_key] = str(describe_fix(fix, wording))
                words.append(text)
            details.append(fix)
        message = memo.get((key,))
        if message is None:
            message = memo[(key,)] = str(describe_criterion(spec, wording))
        views.append(
            CriterionView(
                key=key,
                label=spec.label,
                kind=spec.kind,
                outcome=Outcome(outcome),
                fraction=fraction,
                message=message,
                fixes=tuple(words),
                fix_details=tuple(details),
            )
        )
    return views
