"""Compiling a ruleset once, and scoring profiles against it.

Outcomes are three-valued. A group fails if any requirement fails, else is unknown if any is
unknown, else passes; a criterion passes if any group passes, else is unknown if any group is,
else fails. A program is eligible when every gate passes (a program without gates is), ineligible
when a gate fails, incomplete otherwise. By the same definitions a group without requirements
passes and a criterion without groups fails; validation keeps both out of published rules.

Award fractions: a requirement's is its measure (see `operators`), a group's is the lowest of its
requirements', a criterion's the highest of its groups'. The score is the weighted mean of the
award criteria's fractions, 0-100, rounded to 2 decimals; None without award weight.

Two ways to evaluate: `evaluate` builds the full explanation; `eligibility_and_score` runs the
same closures without building result objects, for bulk scoring. They always agree.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from matchmaker.engine.facts import FACTS, MISSING, FactsRecord
from matchmaker.engine.operators import (
    FAIL,
    PASS,
    UNKNOWN,
    Measure,
    Outcome,
    Test,
    compile_operator,
)
from matchmaker.engine.results import (
    ELIGIBLE,
    INCOMPLETE,
    INELIGIBLE,
    CriterionResult,
    Eligibility,
    Fix,
    ProgramResult,
    RequirementResult,
)
from matchmaker.engine.rules import CriterionKind, CriterionSpec, RequirementSpec, RuleSet
from matchmaker.engine.validation import RuleProblem, validate_ruleset

GATE: Final = CriterionKind.GATE


class InvalidRuleSetError(ValueError):
    """Raised by `compile_ruleset` for a rule it cannot run; validation on save prevents it."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        super().__init__(f"ruleset has {len(problems)} problem(s): {problems!r}")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class _Requirement:
    spec: RequirementSpec
    slot: int
    test: Test
    measure: Measure


@dataclass(frozen=True, slots=True)
class _Criterion:
    spec: CriterionSpec
    kind: CriterionKind
    weight: float  # as reported: 0.0 for gates
    groups: tuple[tuple[_Requirement, ...], ...]

    @property
    def is_gate(self) -> bool:
        return self.kind is GATE


class CompiledProgram:
    """A ruleset turned into closures, ready to score any number of profiles."""

    __slots__ = ("_awards", "_criteria", "_gates", "_weight_sum", "ruleset")

    def __init__(self, ruleset: RuleSet, criteria: tuple[_Criterion, ...]) -> None:
        self.ruleset = ruleset
        self._criteria = criteria
        self._gates = tuple(
            _any_of(tuple(_all_of(tuple(r.test for r in group)) for group in criterion.groups))
            for criterion in criteria
            if criterion.is_gate
        )
        # Zero-weight awards add exactly 0.0 to the sum, so leaving them out changes nothing.
        self._awards = tuple(
            (
                criterion.weight,
                _highest(
                    tuple(_lowest(tuple(r.measure for r in group)) for group in criterion.groups)
                ),
            )
            for criterion in criteria
            if not criterion.is_gate and criterion.weight > 0
        )
        self._weight_sum = sum(weight for weight, _ in self._awards)

    @property
    def program(self) -> str:
        return self.ruleset.program

    @property
    def version(self) -> int:
        return self.ruleset.version

    def __repr__(self) -> str:
        return f"<CompiledProgram {self.program!r} v{self.version}>"

    def eligibility_and_score(self, facts: FactsRecord) -> tuple[Eligibility, float | None]:
        """What `evaluate` would say about eligibility and score, without the explanation."""
        eligibility = ELIGIBLE
        for gate in self._gates:
            outcome = gate(facts)
            if outcome is FAIL:
                eligibility = INELIGIBLE
                break  # one failed gate decides it; the others cannot change that
            if outcome is UNKNOWN:
                eligibility = INCOMPLETE
        if not self._weight_sum:
            return eligibility, None
        # Same operations in the same order as _score, so the floats are identical.
        total = 0.0
        for weight, fraction in self._awards:
            total += weight * fraction(facts)
        return eligibility, round(100 * total / self._weight_sum, 2)

    def triage(self, facts: FactsRecord) -> tuple[Eligibility, int]:
        """Eligibility and the number of failed gates, counting no further than two.

        Enough to decide whether a pair is worth keeping (eligible, incomplete, or a near miss
        on exactly one gate) without building the explanation, for the many pairs that are not.
        """
        failed = 0
        unknown = False
        for gate in self._gates:
            outcome = gate(facts)
            if outcome is FAIL:
                failed += 1
                if failed == 2:
                    break
            elif outcome is UNKNOWN:
                unknown = True
        if failed:
            return INELIGIBLE, failed
        return (INCOMPLETE if unknown else ELIGIBLE), 0

    def evaluate(self, facts: FactsRecord) -> ProgramResult:
        """The full, rule-by-rule result for one profile's facts."""
        criteria = tuple([_evaluate(criterion, facts) for criterion in self._criteria])
        eligibility = ELIGIBLE
        for result in criteria:
            if result.kind is CriterionKind.GATE:
                if result.outcome is FAIL:
                    eligibility = INELIGIBLE
                    break
                if result.outcome is UNKNOWN:
                    eligibility = INCOMPLETE
        return ProgramResult(
            program=self.program,
            version=self.version,
            eligibility=eligibility,
            score=self._score(
                (result.weight, result.fraction)
                for result in criteria
                if result.kind is CriterionKind.AWARD and result.weight > 0
            ),
            criteria=criteria,
        )

    def _score(self, weighted: Iterable[tuple[float, float]]) -> float | None:
        if not self._weight_sum:
            return None
        total = 0.0
        for weight, fraction in weighted:
            total += weight * fraction
        return round(100 * total / self._weight_sum, 2)


def compile_ruleset(ruleset: RuleSet) -> CompiledProgram:
    """Compile once per rules version; the result is immutable and safe to share.

    Raises `InvalidRuleSetError` for a requirement it cannot run or an award weight that is not a
    non-negative number. It does not check codes against a vocabulary: an unknown code just never
    matches.
    """
    problems = [problem for problem in validate_ruleset(ruleset, None) if problem.field != "groups"]
    if problems:
        raise InvalidRuleSetError(problems)
    criteria = []
    for spec in ruleset.criteria:
        groups = []
        for group in spec.groups:
            requirements = []
            for requirement in group.requirements:
                fact = FACTS[requirement.fact]
                test, measure = compile_operator(fact, requirement.operator, requirement.value)
                requirements.append(_Requirement(requirement, fact.slot, test, measure))
            groups.append(tuple(requirements))
        kind = CriterionKind(spec.kind)
        weight = 0.0 if kind is CriterionKind.GATE else float(spec.weight)
        criteria.append(_Criterion(spec, kind, weight, tuple(groups)))
    return CompiledProgram(ruleset, tuple(criteria))


def _all_of(tests: tuple[Test, ...]) -> Test:
    if len(tests) == 1:
        return tests[0]

    def group(facts: FactsRecord) -> Outcome:
        outcome = PASS
        for test in tests:
            result = test(facts)
            if result is FAIL:
                return FAIL
            if result is UNKNOWN:
                outcome = UNKNOWN
        return outcome

    return group


def _any_of(groups: tuple[Test, ...]) -> Test:
    if len(groups) == 1:
        return groups[0]

    def criterion(facts: FactsRecord) -> Outcome:
        outcome = FAIL
        for group in groups:
            result = group(facts)
            if result is PASS:
                return PASS
            if result is UNKNOWN:
                outcome = UNKNOWN
        return outcome

    return criterion


def _lowest(measures: tuple[Measure, ...]) -> Measure:
    if len(measures) == 1:
        return measures[0]

    def group(facts: FactsRecord) -> float:
        lowest = 1.0  # every fraction is at most 1, so this is the minimum of none
        for measure in measures:
            fraction = measure(facts)
            if fraction < lowest:
                if fraction <= 0.0:
                    return 0.0
                lowest = fraction
        return lowest

    return group


def _highest(measures: tuple[Measure, ...]) -> Measure:
    if len(measures) == 1:
        return measures[0]

    def criterion(facts: FactsRecord) -> float:
        highest = 0.0
        for measure in measures:
            fraction = measure(facts)
            if fraction > highest:
                if fraction >= 1.0:
                    return 1.0
                highest = fraction
        return highest

    return criterion


def _evaluate(criterion: _Criterion, facts: FactsRecord) -> CriterionResult:
    # The explanation path: same closures as the fast path, plus a result object per
    # requirement. Written out flat because it runs for every stored pair.
    groups = []
    outcome = FAIL
    fraction = 0.0
    for group in criterion.groups:
        results = []
        group_outcome = PASS
        group_fraction = 1.0
        for requirement in group:
            value = facts[requirement.slot]
            requirement_outcome = requirement.test(facts)
            requirement_fraction = requirement.measure(facts)
            results.append(
                RequirementResult(
                    requirement.spec,
                    requirement_outcome,
                    requirement_fraction,
                    None if value is MISSING else value,
                )
            )
            if requirement_outcome is FAIL:
                group_outcome = FAIL
            elif requirement_outcome is UNKNOWN and group_outcome is PASS:
                group_outcome = UNKNOWN
            if requirement_fraction < group_fraction:
                group_fraction = requirement_fraction
        groups.append(tuple(results))
        if group_outcome is PASS:
            outcome = PASS
        elif group_outcome is UNKNOWN and outcome is FAIL:
            outcome = UNKNOWN
        if group_fraction > fraction:
            fraction = group_fraction
    spec = criterion.spec
    return CriterionResult(
        spec.key,
        spec.label,
        criterion.kind,
        criterion.weight,
        outcome,
        fraction,
        tuple(groups),
        _fixes(groups) if outcome is not PASS and criterion.kind is GATE else (),
    )


def _fixes(groups: list[tuple[RequirementResult, ...]]) -> tuple[Fix, ...]:
    """The open requirements of the cheapest group to complete.

    Cheapest means, in order: fewest failures the vendor cannot act on (a different country of
    registration is rarely a realistic fix, while "add a partner" is), fewest open requirements,
    fewest failures (answering a question is easier than changing a fact), first in rule order.
    """
    best_cost: tuple[int, int, int] | None = None
    best: list[RequirementResult] = []
    for group in groups:
        open_ = [result for result in group if result.outcome is not PASS]
        failed = stuck = 0
        for result in open_:
            if result.outcome is FAIL:
                failed += 1
                if result.spec.fact in _UNCHANGEABLE:
                    stuck += 1
        cost = (stuck, len(open_), failed)
        if best_cost is None or cost < best_cost:  # strictly less: ties keep the earlier group
            best_cost, best = cost, open_
    return tuple(Fix(result.spec, result.outcome, result.actual) for result in best)


_UNCHANGEABLE: Final = frozenset(name for name, fact in FACTS.items() if not fact.changeable)
