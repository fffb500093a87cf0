"""Properties of the engine on random rulesets and random, partly malformed, profiles."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaker.engine import (
    FACTS,
    MISSING,
    CriterionKind,
    CriterionSpec,
    Eligibility,
    Fact,
    FactsRecord,
    FactType,
    GroupSpec,
    Outcome,
    RequirementSpec,
    RuleSet,
    Vocabulary,
    Wording,
    compile_ruleset,
    describe_criterion,
    describe_fix,
    describe_requirement,
    read_facts,
    validate_ruleset,
)
from matchmaker.engine.validation import allowed_operators

COUNTRIES = ("RU", "TW", "IL", "ES", "DE")
SECTORS = ("energy", "buildings", "mobility", "health", "water")
VOCABULARY = Vocabulary(countries=frozenset(COUNTRIES), sectors=frozenset(SECTORS))

garbage = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=4)
    | st.binary(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        | st.frozensets(st.integers() | st.text(max_size=2), max_size=3)
    ),
    max_leaves=6,
)


def raw_value(fact: Fact) -> st.SearchStrategy[object]:
    """Well-formed values most of the time, anything at all some of the time."""
    code = st.sampled_from(COUNTRIES) | st.sampled_from([c.lower() for c in COUNTRIES])
    match fact.type:
        case FactType.COUNTRY:
            good: st.SearchStrategy[object] = code
        case FactType.COUNTRIES:
            good = st.lists(code, max_size=3)
        case FactType.SECTORS:
            good = st.lists(st.sampled_from(SECTORS), max_size=3)
        case FactType.INTEGER:
            good = st.integers(min_value=-5, max_value=2200) | st.floats(0, 12)
        case FactType.BOOLEAN:
            good = st.booleans()
    return st.one_of(good, good, garbage)


profiles = st.fixed_dictionaries(
    {}, optional={name: raw_value(fact) for name, fact in FACTS.items()}
) | st.dictionaries(st.text(max_size=12), garbage, max_size=4)


def value_for(fact: Fact, operator: str) -> st.SearchStrategy[object]:
    if operator in ("present", "is_true", "is_false"):
        return st.none()
    if fact.type is FactType.INTEGER:
        low = fact.minimum if fact.minimum is not None else -1000
        high = fact.maximum if fact.maximum is not None else low + 1000
        number = st.integers(low, high)
        if operator in ("in", "not_in"):
            return st.lists(number, min_size=1, max_size=3, unique=True)
        if operator == "between":
            return st.lists(number, min_size=2, max_size=2).map(sorted)
        if operator == "scale":
            return st.lists(number, min_size=2, max_size=2, unique=True).map(sorted)
        return number
    codes = SECTORS if fact.type is FactType.SECTORS else COUNTRIES
    if operator in ("eq", "ne", "contains"):
        return st.sampled_from(codes)
    return st.lists(st.sampled_from(codes), min_size=1, max_size=4, unique=True)


@st.composite
def requirements(draw: st.DrawFn, kind: CriterionKind) -> RequirementSpec:
    fact = draw(st.sampled_from(list(FACTS.values())))
    operator = draw(st.sampled_from(allowed_operators(fact, kind)))
    return RequirementSpec(fact.name, operator, draw(value_for(fact, operator)))


@st.composite
def criteria(draw: st.DrawFn, key: str) -> CriterionSpec:
    kind = draw(st.sampled_from(CriterionKind))
    groups = draw(
        st.lists(
            st.lists(requirements(kind), min_size=1, max_size=3).map(
                lambda reqs: GroupSpec(tuple(reqs))
            ),
            min_size=1,
            max_size=3,
        )
    )
    weight = draw(st.sampled_from([0.0, 1.0, 2.5, 40.0]) | st.floats(0, 1000))
    return CriterionSpec(key, key, kind, weight, tuple(groups))


@st.composite
def rulesets(draw: st.DrawFn) -> RuleSet:
    count = draw(st.integers(0, 5))
    return RuleSet("program", 1, tuple(draw(criteria(f"c{i}")) for i in range(count)))


words = Wording(country_name=lambda code: f"<{code}>", sector_name=str.title)


@settings(max_examples=200, deadline=None)
@given(rulesets(), profiles)
def test_scoring_any_profile_never_raises_and_both_paths_agree(ruleset, profile):
    assert validate_ruleset(ruleset, VOCABULARY) == []
    compiled = compile_ruleset(ruleset)
    facts = read_facts(profile)

    result = compiled.evaluate(facts)

    assert compiled.evaluate(facts) == result
    assert compiled.eligibility_and_score(facts) == (result.eligibility, result.score)
    assert compiled.triage(facts) == (result.eligibility, min(result.failed_gates, 2))
    assert json.loads(json.dumps(result.to_json())) == json.loads(json.dumps(result.to_json()))
    for criterion, spec in zip(result.criteria, ruleset.criteria, strict=True):
        assert describe_criterion(spec, words)
        for fix in criterion.fixes:
            assert describe_fix(fix, words)


@settings(max_examples=200, deadline=None)
@given(rulesets(), profiles)
def test_score_is_between_0_and_100_or_none_without_award_weight(ruleset, profile):
    result = compile_ruleset(ruleset).evaluate(read_facts(profile))
    award_weight = sum(c.weight for c in ruleset.criteria if c.kind is CriterionKind.AWARD)
    if award_weight > 0:
        assert result.score is not None
        assert 0.0 <= result.score <= 100.0
    else:
        assert result.score is None


@settings(max_examples=200, deadline=None)
@given(rulesets(), profiles)
def test_results_are_internally_consistent(ruleset, profile):
    result = compile_ruleset(ruleset).evaluate(read_facts(profile))
    gates = [c for c in result.criteria if c.kind is CriterionKind.GATE]
    outcomes = {c.outcome for c in gates}
    if Outcome.FAIL in outcomes:
        assert result.eligibility is Eligibility.INELIGIBLE
    elif Outcome.UNKNOWN in outcomes:
        assert result.eligibility is Eligibility.INCOMPLETE
    else:
        assert result.eligibility is Eligibility.ELIGIBLE
    for criterion in result.criteria:
        assert (criterion.fraction > 0) == (criterion.outcome is Outcome.PASS)
        assert bool(criterion.fixes) == (
            criterion.kind is CriterionKind.GATE and criterion.outcome is not Outcome.PASS
        )
        for fix in criterion.fixes:
            assert fix.outcome is not Outcome.PASS
        for group in criterion.requirements:
            for requirement in group:
                assert 0.0 <= requirement.fraction <= 1.0
                assert (requirement.fraction > 0) == (requirement.outcome is Outcome.PASS)
                assert (requirement.outcome is Outcome.UNKNOWN) == (requirement.actual is None)


@settings(max_examples=200, deadline=None)
@given(rulesets(), profiles, st.sets(st.sampled_from(list(FACTS))))
def test_a_decided_result_stays_decided_when_more_facts_become_known(ruleset, profile, hidden):
    # Unknown means "could go either way": learning more can settle an incomplete result, but
    # never overturn an eligible or ineligible one.
    compiled = compile_ruleset(ruleset)
    full = read_facts(profile)
    partial = FactsRecord(
        tuple(MISSING if name in hidden else value for name, value in zip(FACTS, full, strict=True))
    )
    before = compiled.evaluate(partial).eligibility
    if before is not Eligibility.INCOMPLETE:
        assert compiled.evaluate(full).eligibility is before


@given(garbage)
def test_reading_facts_never_raises_on_anything(anything):
    facts = read_facts(anything)
    assert len(facts) == len(FACTS)
    facts = read_facts({name: anything for name in FACTS})
    assert len(facts) == len(FACTS)


@given(requirements(CriterionKind.AWARD))
def test_every_valid_requirement_has_words(spec):
    text = describe_requirement(spec, words)
    # Broken rules fall back to the raw "fact operator value"; valid ones never should.
    assert text
    assert not text.startswith(f"{spec.fact} {spec.operator} ")
