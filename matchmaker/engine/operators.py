"""What each operator means, and its compiled form.

An operator compiles, together with its fact's slot and its (already validated) value, into two
plain closures over a `FactsRecord`:

- a *test* giving the three-valued outcome: PASS, FAIL, or UNKNOWN when the fact is missing;
- a *measure* giving the award fraction in [0, 1]: 1.0/0.0 for pass/fail operators, the linear
  fraction for `scale` and `overlap_ratio`, and 0.0 whenever the fact is missing.

Values are parsed once here (lists become frozensets, ranges become bounds), so evaluating a rule
is a tuple index, an identity check against MISSING and one comparison.

`present` passes when the fact is known and is UNKNOWN when it is missing; it never fails. It
exists so that a gate can insist that a vendor answers a question without constraining the answer.
"""

import enum
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from matchmaker.engine.facts import MISSING, Fact, FactsRecord, FactType


class Outcome(enum.StrEnum):
    # auto() gives the lower-case names, "pass", "fail" and "unknown", the values stored in JSON.
    PASS = enum.auto()
    FAIL = enum.auto()
    UNKNOWN = enum.auto()  # the fact is missing; never counts as a pass


# Module-level names so the closures below reach them with one global lookup.
PASS: Final = Outcome.PASS
FAIL: Final = Outcome.FAIL
UNKNOWN: Final = Outcome.UNKNOWN

Test = Callable[[FactsRecord], Outcome]
Measure = Callable[[FactsRecord], float]


class ValueShape(enum.Enum):
    """What an operator's value looks like; the element type comes from the fact."""

    NONE = "none"  # null
    ONE = "one"  # one code or one integer
    MANY = "many"  # a non-empty list of distinct codes or integers
    RANGE = "range"  # [low, high] with low <= high
    STRICT_RANGE = "strict_range"  # [low, high] with low < high


OPERATORS_BY_TYPE: Final[Mapping[FactType, tuple[str, ...]]] = MappingProxyType(
    {
        FactType.COUNTRY: ("eq", "ne", "in", "not_in", "present"),
        FactType.COUNTRIES: ("contains", "overlaps", "present"),
        FactType.SECTORS: ("contains", "overlaps", "present", "overlap_ratio"),
        FactType.INTEGER: ("eq", "ne", "in", "not_in", "gte", "lte", "between", "present", "scale"),
        FactType.BOOLEAN: ("is_true", "is_false", "present"),
    }
)

AWARD_ONLY_OPERATORS: Final = frozenset({"scale", "overlap_ratio"})

VALUE_SHAPES: Final[Mapping[str, ValueShape]] = MappingProxyType(
    {
        "eq": ValueShape.ONE,
        "ne": ValueShape.ONE,
        "in": ValueShape.MANY,
        "not_in": ValueShape.MANY,
        "contains": ValueShape.ONE,
        "overlaps": ValueShape.MANY,
        "overlap_ratio": ValueShape.MANY,
        "gte": ValueShape.ONE,
        "lte": ValueShape.ONE,
        "between": ValueShape.RANGE,
        "scale": ValueShape.STRICT_RANGE,
        "is_true": ValueShape.NONE,
        "is_false": ValueShape.NONE,
        "present": ValueShape.NONE,
    }
)

ALL_OPERATORS: Final = frozenset(VALUE_SHAPES)


def _member(slot: int, allowed: frozenset[Any]) -> tuple[Test, Measure]:
    def test(facts: FactsRecord) -> Outcome:
        value = facts[slot]
        if value in allowed:  # MISSING is hashable and never allowed
            return PASS
        return UNKNOWN if value is MISSING else FAIL

    def measure(facts: FactsRecord) -> float:
        return 1.0 if facts[slot] in allowed else 0.0

    return test, measure


def _not_member(slot: int, banned: frozenset[Any]) -> tuple[Test, Measure]:
    def test(facts: FactsRecord) -> Outcome:
        value = facts[slot]
        if value is MISSING:
            return UNKNOWN
        return FAIL if value in banned else PASS

    def measure(facts: FactsRecord) -> float:
        value = facts[slot]
        return 0.0 if value is MISSING or value in banned else 1.0

    return test, measure


def _at_least(slot: int, low: int) -> tuple[Test, Measure]:
    def test(facts: FactsRecord) -> Outcome:
        value = facts[slot]
        if value is MISSING:
            return UNKNOWN
        return PASS if value >= low else FAIL

    def measure(facts: FactsRecord) -> float:
        value = facts[slot]
        return 0.0 if value is MISSING or value < low else 1.0

    return test, measure


def _at_most(slot: int, high: int) -> tuple[Test, Measure]:
    def test(facts: FactsRecord) -> Outcome:
        value = facts[slot]
        if value is MISSING:
            return UNKNOWN
        return PASS if value <= high else FAIL

    def measure(facts: FactsRecord) -> float:
        value = facts[slot]
        return 0.0 if value is MISSING or value > high else 1.0

    return test, measure


def _between(slot: int, low: int, high: int) -> tuple[Test, Measure]:
    def test(facts: FactsRecord) -> Outcome:
        value = facts[slot]
        if value is MISSING:
            return UNKNOWN
        return PASS if low <= value <= high else FAIL

    def measure(facts: FactsRecord) -> float:
        value = facts[slot]
        return 1.0 if value is not MISSING and low <= value <= high else 0.0

    return test, measure


def _has(slot: int, code: str) -> tuple[Test, Measure]:
    def test(facts: FactsRecord) -> Outcome:
        value = facts[slot]
        if value is MISSING:
            return UNKNOWN
        return PASS if code in value else FAIL

    def measure(facts: FactsRecord) -> float:
        value = facts[slot]
        return 1.0 if value is not MISSING and code in value else 0.0

    return test, measure


def _overlaps(slot: int, listed: frozenset[str]) -> tuple[Test, Measure]:
    def test(facts: FactsRecord) -> Outcome:
        value = facts[slot]
        if value is MISSING:
            return UNKNOWN
        return FAIL if listed.isdisjoint(value) else PASS

    def measure(facts: FactsRecord) -> float:
        value = facts[slot]
        return 0.0 if value is MISSING or listed.isdisjoint(value) else 1.0

    return test, measure


def _is(slot: int, wanted: bool) -> tuple[Test, Measure]:
    def test(facts: FactsRecord) -> Outcome:
        value = facts[slot]
        if value is wanted:
            return PASS
        return UNKNOWN if value is MISSING else FAIL

    def measure(facts: FactsRecord) -> float:
        return 1.0 if facts[slot] is wanted else 0.0

    return test, measure


def _present(slot: int) -> tuple[Test, Measure]:
    def test(facts: FactsRecord) -> Outcome:
        return UNKNOWN if facts[slot] is MISSING else PASS

    def measure(facts: FactsRecord) -> float:
        return 0.0 if facts[slot] is MISSING else 1.0

    return test, measure


def _scale(slot: int, low: int, high: int) -> tuple[Test, Measure]:
    span = high - low  # validation guarantees low < high

    def test(facts: FactsRecord) -> Outcome:
        # Passing means scoring something: the fraction is above 0 exactly when value > low.
        value = facts[slot]
        if value is MISSING:
            return UNKNOWN
        return PASS if value > low else FAIL

    def measure(facts: FactsRecord) -> float:
        value = facts[slot]
        if value is MISSING or value <= low:
            return 0.0
        if value >= high:
            return 1.0
        fraction: float = (value - low) / span
        return fraction

    return test, measure


def _overlap_ratio(slot: int, listed: frozenset[str]) -> tuple[Test, Measure]:
    count = len(listed)

    def test(facts: FactsRecord) -> Outcome:
        value = facts[slot]
        if value is MISSING:
            return UNKNOWN
        return FAIL if listed.isdisjoint(value) else PASS

    def measure(facts: FactsRecord) -> float:
        value = facts[slot]
        if value is MISSING:
            return 0.0
        return len(listed & value) / count

    return test, measure


def compile_operator(fact: Fact, operator: str, value: Any) -> tuple[Test, Measure]:
    """The test and measure closures for `fact <operator> value`.

    Expects a validated pair (see `validate_requirement`); raises ValueError otherwise, which
    happens at compile time, never while scoring a profile.
    """
    if operator not in OPERATORS_BY_TYPE[fact.type]:
        raise ValueError(f"operator {operator!r} does not fit fact {fact.name!r}")
    slot = fact.slot
    match operator:
        case "eq":
            return _member(slot, frozenset((value,)))
        case "in":
            return _member(slot, frozenset(value))
        case "ne":
            return _not_member(slot, frozenset((value,)))
        case "not_in":
            return _not_member(slot, frozenset(value))
        case "gte":
            return _at_least(slot, value)
        case "lte":
            return _at_most(slot, value)
        case "between":
            low, high = value
            return _between(slot, low, high)
        case "contains":
            return _has(slot, value)
        case "overlaps":
            return _overlaps(slot, frozenset(value))
        case "is_true":
            return _is(slot, True)
        case "is_false":
            return _is(slot, False)
        case "present":
            return _present(slot)
        case "scale":
            low, high = value
            return _scale(slot, low, high)
        case "overlap_ratio":
            return _overlap_ratio(slot, frozenset(value))
    raise ValueError(f"unknown operator {operator!r}")
