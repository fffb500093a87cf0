"""Our rules written as JsonLogic: the baseline the engine benchmark is measured against.

A ruleset becomes one JsonLogic rule that does the whole job, as a JsonLogic user would write
it: `[eligibility, score]`.

- Outcomes are the numbers FAIL=0 < UNKNOWN=1 < PASS=2, so the three-valued logic is plain `min`
  and `max`: a group is the `min` of its requirements, a criterion the `max` of its groups, the
  program's eligibility the `min` of its gates (2 without gates).
- A requirement is `{"if": [{"missing": [fact]}, UNKNOWN, {"if": [condition, PASS, FAIL]}]}`.
- Award fractions are numbers in [0, 1] combined the same way (`min` within a group, `max` across
  groups), and the score is `100 * sum(weight * fraction) / total weight`, written with the same
  operations in the same order as the engine, so both produce the identical float.

JsonLogic has no rounding operator, so `run` rounds the score with Python's `round(score, 2)`,
exactly as the engine does, and maps the eligibility number to its name; both are negligible next
to evaluating the rule.
"""

from typing import Any

from json_logic import jsonLogic

from matchmaker.engine import CriterionKind, Eligibility, RequirementSpec, RuleSet

FAIL, UNKNOWN, PASS = 0, 1, 2
ELIGIBILITY_BY_CODE = (Eligibility.INELIGIBLE, Eligibility.INCOMPLETE, Eligibility.ELIGIBLE)

JsonLogic = Any  # a JSON value: dicts, lists, str, numbers, bools, None


def _condition(spec: RequirementSpec) -> JsonLogic:
    """The requirement's test on a known value, as a JsonLogic boolean."""
    fact = {"var": spec.fact}
    value = spec.value
    match spec.operator:
        case "eq":
            return {"==": [fact, value]}
        case "ne":
            return {"!=": [fact, value]}
        case "in":
            return {"in": [fact, list(value)]}
        case "not_in":
            return {"!": {"in": [fact, list(value)]}}
        case "contains":
            return {"in": [value, fact]}
        case "overlaps":
            return {"some": [fact, {"in": [{"var": ""}, list(value)]}]}
        case "gte":
            return {">=": [fact, value]}
        case "lte":
            return {"<=": [fact, value]}
        case "between":
            low, high = value
            return {"<=": [low, fact, high]}
        case "is_true":
            return {"===": [fact, True]}
        case "is_false":
            return {"===": [fact, False]}
        case "present":
            return True
    raise ValueError(f"no JsonLogic condition for {spec.operator!r}")


def _missing(spec: RequirementSpec) -> JsonLogic:
    return {"missing": [spec.fact]}


def _outcome(spec: RequirementSpec) -> JsonLogic:
    if spec.operator == "present":
        return {"if": [_missing(spec), UNKNOWN, PASS]}
    return {"if": [_missing(spec), UNKNOWN, {"if": [_condition(spec), PASS, FAIL]}]}


def _fraction(spec: RequirementSpec) -> JsonLogic:
    fact = {"var": spec.fact}
    if spec.operator == "scale":
        low, high = spec.value
        ratio = {"/": [{"-": [fact, low]}, high - low]}
        return {"if": [_missing(spec), 0, {"max": [0, {"min": [1, ratio]}]}]}
    if spec.operator == "overlap_ratio":
        listed = list(spec.value)
        hits = {"+": [{"if": [{"in": [code, fact]}, 1, 0]} for code in listed]}
        return {"if": [_missing(spec), 0, {"/": [hits, len(listed)]}]}
    if spec.operator == "present":
        return {"if": [_missing(spec), 0, 1]}
    return {"if": [_missing(spec), 0, {"if": [_condition(spec), 1, 0]}]}


def _combine(operator: str, parts: list[JsonLogic], empty: JsonLogic) -> JsonLogic:
    if not parts:
        return empty
    if len(parts) == 1:
        return parts[0]
    return {operator: parts}


def translate(ruleset: RuleSet) -> JsonLogic:
    """The ruleset as one JsonLogic rule evaluating to `[eligibility code, unrounded score]`."""
    gates = []
    weighted = []
    weight_sum = 0.0
    for criterion in ruleset.criteria:
        if criterion.kind == CriterionKind.GATE:
            gates.append(
                _combine(
                    "max",
                    [
                        _combine("min", [_outcome(r) for r in group.requirements], PASS)
                        for group in criterion.groups
                    ],
                    FAIL,
                )
            )
        elif criterion.weight > 0:
            fraction = _combine(
                "max",
                [
                    _combine("min", [_fraction(r) for r in group.requirements], 1)
                    for group in criterion.groups
                ],
                0,
            )
            weighted.append({"*": [criterion.weight, fraction]})
            weight_sum += float(criterion.weight)
    eligibility = _combine("min", gates, PASS)
    if not weight_sum:
        return [eligibility, None]
    score = {"/": [{"*": [100, {"+": weighted}]}, weight_sum]}
    return [eligibility, score]


def run(rule: JsonLogic, profile: dict[str, Any]) -> tuple[Eligibility, float | None]:
    """Apply a translated rule to a profile, as the engine's `eligibility_and_score` would."""
    code, score = jsonLogic(rule, profile)
    return ELIGIBILITY_BY_CODE[code], None if score is None else round(score, 2)
