"""Checks a rule when staff save it, so that scoring never meets a rule it cannot run.

Problems are data (a field, a code and its parameters), not prose: forms and the API turn them
into words with `describe_problem`, in the reader's language.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from matchmaker.engine.facts import FACTS, Fact, FactType
from matchmaker.engine.operators import (
    ALL_OPERATORS,
    AWARD_ONLY_OPERATORS,
    OPERATORS_BY_TYPE,
    VALUE_SHAPES,
    ValueShape,
)
from matchmaker.engine.rules import CriterionKind, CriterionSpec, RequirementSpec, RuleSet

ProblemField = Literal["fact", "operator", "value", "weight", "groups"]


@dataclass(frozen=True)
class Vocabulary:
    """The codes a rule may name; the Django side fills it from django-countries and Sector."""

    countries: frozenset[str]
    sectors: frozenset[str]


@dataclass(frozen=True)
class RuleProblem:
    field: ProblemField
    code: str
    params: Mapping[str, Any]
    # Where in a ruleset: (criterion key,), (criterion key, group index) or
    # (criterion key, group index, requirement index); empty for a lone requirement.
    location: tuple[str | int, ...] = ()


def _problem(field: ProblemField, code: str, /, **params: Any) -> RuleProblem:
    return RuleProblem(field=field, code=code, params=params)


def allowed_operators(fact: Fact, kind: CriterionKind) -> tuple[str, ...]:
    """The operators a criterion of `kind` may apply to `fact`, in display order."""
    operators = OPERATORS_BY_TYPE[fact.type]
    if kind == CriterionKind.AWARD:
        return operators
    return tuple(operator for operator in operators if operator not in AWARD_ONLY_OPERATORS)


def validate_requirement(
    spec: RequirementSpec, *, kind: CriterionKind, vocabulary: Vocabulary | None
) -> list[RuleProblem]:
    """Everything wrong with one requirement inside a criterion of `kind`; empty when it is valid.

    With `vocabulary=None` codes are only checked for shape (the compiler's use: it cannot know
    which sectors exist).
    """
    fact = FACTS.get(spec.fact) if isinstance(spec.fact, str) else None
    if fact is None:
        return [_problem("fact", "unknown_fact", fact=str(spec.fact))]
    allowed = list(allowed_operators(fact, kind))
    operator = spec.operator
    if not isinstance(operator, str) or operator not in ALL_OPERATORS:
        return [_problem("operator", "unknown_operator", operator=str(operator), allowed=allowed)]
    if operator not in OPERATORS_BY_TYPE[fact.type]:
        return [
            _problem(
                "operator", "operator_mismatch", operator=operator, fact=fact.name, allowed=allowed
            )
        ]
    problems = []
    if operator in AWARD_ONLY_OPERATORS and kind != CriterionKind.AWARD:
        problems.append(_problem("operator", "award_only", operator=operator, allowed=allowed))
    problems.extend(_value_problems(fact, operator, spec.value, vocabulary))
    return problems


def _value_problems(
    fact: Fact, operator: str, value: Any, vocabulary: Vocabulary | None
) -> list[RuleProblem]:
    shape = VALUE_SHAPES[operator]
    if shape is ValueShape.NONE:
        if value is not None:
            return [_problem("value", "value_not_expected", operator=operator)]
        return []
    if shape is ValueShape.ONE:
        return _element_problems(fact, value, vocabulary)
    if not isinstance(value, list | tuple):
        code = "expected_list" if shape is ValueShape.MANY else "expected_range"
        return [_problem("value", code, operator=operator)]
    if shape is ValueShape.MANY:
        if not value:
            return [_problem("value", "empty_list", operator=operator)]
        problems = [p for item in value for p in _element_problems(fact, item, vocabulary)]
        if problems:
            return problems
        repeated = sorted({item for item in value if value.count(item) > 1})
        if repeated:
            return [_problem("value", "duplicate_values", values=repeated)]
        return []
    # RANGE and STRICT_RANGE: two integers, in order.
    if fact.type is not FactType.INTEGER or len(value) != 2:
        return [_problem("value", "expected_range", operator=operator)]
    problems = [p for item in value for p in _element_problems(fact, item, vocabulary)]
    if problems:
        return problems
    low, high = value
    if low > high:
        return [_problem("value", "range_reversed", low=low, high=high)]
    if low == high and shape is ValueShape.STRICT_RANGE:
        return [_problem("value", "range_empty", low=low, high=high)]
    return []


def _element_problems(fact: Fact, item: Any, vocabulary: Vocabulary | None) -> list[RuleProblem]:
    match fact.type:
        case FactType.COUNTRY | FactType.COUNTRIES:
            if not isinstance(item, str):
                return [_problem("value", "expected_country_code", value=_shown(item))]
            if vocabulary is not None and item not in vocabulary.countries:
                return [_problem("value", "unknown_country", code=item)]
        case FactType.SECTORS:
            if not isinstance(item, str):
                return [_problem("value", "expected_sector_code", value=_shown(item))]
            if vocabulary is not None and item not in vocabulary.sectors:
                return [_problem("value", "unknown_sector", code=item)]
        case FactType.INTEGER:
            if isinstance(item, bool) or not isinstance(item, int):
                return [_problem("value", "expected_integer", value=_shown(item))]
            if not fact.within_bounds(item):
                return [
                    _problem(
                        "value",
                        "out_of_bounds",
                        fact=fact.name,
                        value=item,
                        minimum=fact.minimum,
                        maximum=fact.maximum,
                    )
                ]
    return []


def _shown(value: Any) -> Any:
    """A JSON-safe echo of a rejected value, for the message and the API."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def validate_criterion(spec: CriterionSpec, vocabulary: Vocabulary | None) -> list[RuleProblem]:
    """Problems with the criterion and every requirement in it, located by (key, group, index)."""
    key = spec.key
    problems = []
    if spec.kind == CriterionKind.AWARD:
        weight = spec.weight
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
        ):
            problems.append(_at(_problem("weight", "invalid_weight", weight=_shown(weight)), key))
        elif weight < 0:
            problems.append(_at(_problem("weight", "negative_weight", weight=weight), key))
    if not spec.groups:
        problems.append(_at(_problem("groups", "no_groups"), key))
    for group_index, group in enumerate(spec.groups):
        if not group.requirements:
            problems.append(
                _at(_problem("groups", "empty_group", group=group_index + 1), key, group_index)
            )
        for index, requirement in enumerate(group.requirements):
            for problem in validate_requirement(requirement, kind=spec.kind, vocabulary=vocabulary):
                problems.append(_at(problem, key, group_index, index))
    return problems


def validate_ruleset(ruleset: RuleSet, vocabulary: Vocabulary | None) -> list[RuleProblem]:
    """Every problem in the ruleset, in criterion order; empty when it can be published."""
    return [
        problem
        for criterion in ruleset.criteria
        for problem in validate_criterion(criterion, vocabulary)
    ]


def _at(problem: RuleProblem, *location: str | int) -> RuleProblem:
    return RuleProblem(problem.field, problem.code, problem.params, location)
