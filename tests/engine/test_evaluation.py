import json

import pytest

from matchmaker.engine import (
    CriterionKind,
    CriterionSpec,
    Eligibility,
    Fix,
    GroupSpec,
    InvalidRuleSetError,
    Outcome,
    RequirementSpec,
    RuleSet,
    compile_ruleset,
    rank_key,
    read_facts,
)

GATE = CriterionKind.GATE
AWARD = CriterionKind.AWARD
PASS, FAIL, UNKNOWN = Outcome.PASS, Outcome.FAIL, Outcome.UNKNOWN
R = RequirementSpec

MOSCOW_SECTORS = [
    "retail",
    "energy",
    "telecom",
    "health",
    "education",
    "environment",
    "public-safety",
    "mobility",
]


def criterion(key, *groups, kind=GATE, weight=1.0):
    return CriterionSpec(
        key=key,
        label=key.title(),
        kind=kind,
        weight=weight,
        groups=tuple(GroupSpec(tuple(group)) for group in groups),
    )


def program(*criteria, key="program"):
    return compile_ruleset(RuleSet(program=key, version=1, criteria=criteria))


def evaluate(compiled, profile):
    facts = read_facts(profile)
    result = compiled.evaluate(facts)
    assert compiled.eligibility_and_score(facts) == (result.eligibility, result.score)
    return result


def requirement_result(spec, profile, kind=GATE):
    result = evaluate(program(criterion("only", [spec], kind=kind)), profile)
    return result.criteria[0].requirements[0][0]


# fact, operator, value, a passing profile, a failing profile, the kind of criterion
OPERATOR_CASES = [
    ("country", "eq", "RU", {"country": "RU"}, {"country": "TW"}, GATE),
    ("country", "ne", "RU", {"country": "TW"}, {"country": "ru"}, GATE),
    ("country", "in", ["RU", "IL"], {"country": "IL"}, {"country": "TW"}, GATE),
    ("country", "not_in", ["RU", "IL"], {"country": "TW"}, {"country": "IL"}, GATE),
    ("partner_countries", "contains", "RU", {"partner_countries": ["TW", "RU"]},
     {"partner_countries": ["TW"]}, GATE),
    ("partner_countries", "overlaps", ["RU", "IL"], {"partner_countries": ["IL"]},
     {"partner_countries": ["TW"]}, GATE),
    ("sectors", "contains", "energy", {"sectors": ["energy"]}, {"sectors": ["water"]}, GATE),
    ("sectors", "overlaps", ["energy", "water"], {"sectors": ["water", "iot"]},
     {"sectors": ["iot"]}, GATE),
    ("sectors", "overlap_ratio", ["energy", "water"], {"sectors": ["water"]},
     {"sectors": ["iot"]}, AWARD),
    ("trl", "eq", 5, {"trl": 5}, {"trl": 6}, GATE),
    ("trl", "ne", 5, {"trl": 6}, {"trl": 5}, GATE),
    ("trl", "in", [5, 7], {"trl": 7}, {"trl": 6}, GATE),
    ("trl", "not_in", [5, 7], {"trl": 6}, {"trl": 7}, GATE),
    ("trl", "gte", 5, {"trl": 5}, {"trl": 4}, GATE),
    ("trl", "lte", 5, {"trl": 5}, {"trl": 6}, GATE),
    ("trl", "between", [3, 8], {"trl": 3}, {"trl": 9}, GATE),
    ("trl", "scale", [5, 9], {"trl": 6}, {"trl": 5}, AWARD),
    ("has_demo", "is_true", None, {"has_demo": True}, {"has_demo": False}, GATE),
    ("has_demo", "is_false", None, {"has_demo": False}, {"has_demo": True}, GATE),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fact", "operator", "value", "passing", "failing", "kind"), OPERATOR_CASES
)
def test_every_operator_passes_fails_and_is_unknown_when_the_fact_is_missing(
    fact, operator, value, passing, failing, kind
):
    spec = R(fact, operator, value)
    assert requirement_result(spec, passing, kind).outcome is PASS
    assert requirement_result(spec, failing, kind).outcome is FAIL
    assert requirement_result(spec, {}, kind).outcome is UNKNOWN
    assert requirement_result(spec, {fact: "garbage"}, kind).outcome is UNKNOWN


@pytest.mark.parametrize("fact", ["country", "partner_countries", "sectors", "trl", "has_demo"])
def test_present_passes_when_the_fact_is_known_and_is_unknown_when_missing(fact):
    known = {
        "country": "TW",
        "partner_countries": [],
        "sectors": [],
        "trl": 1,
        "has_demo": False,
    }
    spec = R(fact, "present", None)
    assert requirement_result(spec, {fact: known[fact]}).outcome is PASS
    assert requirement_result(spec, {}).outcome is UNKNOWN


def test_an_empty_partner_list_fails_a_partner_rule_but_an_absent_one_is_unknown():
    spec = R("partner_countries", "contains", "RU")
    assert requirement_result(spec, {"partner_countries": []}).outcome is FAIL
    assert requirement_result(spec, {}).outcome is UNKNOWN


def test_a_requirement_result_carries_the_profile_value_or_none_when_missing():
    spec = R("partner_countries", "contains", "RU")
    assert requirement_result(spec, {"partner_countries": ["tw"]}).actual == frozenset({"TW"})
    assert requirement_result(spec, {}).actual is None


# Requirements whose outcome is fixed by the profile below.
P = R("trl", "gte", 1)
F = R("trl", "gte", 9)
U = R("employees", "gte", 1)
PROFILE = {"trl": 5}


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ([P], PASS),
        ([P, P], PASS),
        ([P, U], UNKNOWN),
        ([U, P], UNKNOWN),
        ([P, F], FAIL),
        ([F, U], FAIL),
        ([U, F], FAIL),
        ([U, U], UNKNOWN),
    ],
)
def test_a_group_fails_if_any_fails_else_is_unknown_if_any_is_unknown(group, expected):
    result = evaluate(program(criterion("gate", group)), PROFILE)
    assert result.criteria[0].outcome is expected


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ([[P], [F]], PASS),
        ([[F], [P]], PASS),
        ([[U], [P]], PASS),
        ([[F], [U]], UNKNOWN),
        ([[U], [F]], UNKNOWN),
        ([[F], [F]], FAIL),
        ([[F, U], [P, F]], FAIL),
        ([[F, U], [P, U]], UNKNOWN),
    ],
)
def test_a_criterion_passes_if_any_group_passes_else_is_unknown_if_any_is_unknown(groups, expected):
    result = evaluate(program(criterion("gate", *groups)), PROFILE)
    assert result.criteria[0].outcome is expected


@pytest.mark.parametrize(
    ("gates", "expected"),
    [
        ([], Eligibility.ELIGIBLE),
        ([[P]], Eligibility.ELIGIBLE),
        ([[P], [P]], Eligibility.ELIGIBLE),
        ([[P], [U]], Eligibility.INCOMPLETE),
        ([[U], [F]], Eligibility.INELIGIBLE),
        ([[F], [U]], Eligibility.INELIGIBLE),
        ([[P], [F]], Eligibility.INELIGIBLE),
    ],
)
def test_eligible_needs_every_gate_to_pass_and_a_failed_gate_outweighs_an_unknown(gates, expected):
    compiled = program(*(criterion(f"gate{i}", group) for i, group in enumerate(gates)))
    assert evaluate(compiled, PROFILE).eligibility is expected


def test_award_criteria_never_affect_eligibility():
    compiled = program(criterion("gate", [P]), criterion("award", [F], kind=AWARD))
    assert evaluate(compiled, PROFILE).eligibility is Eligibility.ELIGIBLE


def test_a_group_without_requirements_passes_and_a_criterion_without_groups_fails():
    # Validation rejects both; compiled anyway, they follow the same definitions.
    assert evaluate(program(criterion("empty", [])), {}).criteria[0].outcome is PASS
    assert evaluate(program(criterion("none")), {}).criteria[0].outcome is FAIL


def score(*awards, profile=PROFILE):
    return evaluate(program(*awards), profile).score


def test_score_is_the_weighted_mean_of_award_criteria_out_of_100():
    assert (
        score(
            criterion("a", [P], kind=AWARD, weight=3),
            criterion("b", [F], kind=AWARD, weight=1),
        )
        == 75.0
    )


def test_score_rounds_to_two_decimals():
    assert (
        score(
            criterion("a", [P], kind=AWARD, weight=1),
            criterion("b", [F], kind=AWARD, weight=1),
            criterion("c", [F], kind=AWARD, weight=1),
        )
        == 33.33
    )


def test_an_unknown_award_scores_nothing():
    assert score(criterion("a", [U], kind=AWARD, weight=1), criterion("b", [P], kind=AWARD)) == 50


def test_score_is_none_without_award_criteria_or_award_weight():
    assert score(criterion("gate", [P])) is None
    assert score(criterion("a", [P], kind=AWARD, weight=0)) is None


def test_a_zero_weight_award_does_not_change_the_score():
    assert (
        score(criterion("a", [P], kind=AWARD, weight=2), criterion("b", [F], kind=AWARD, weight=0))
        == 100.0
    )


def test_gate_weights_do_not_count_towards_the_score():
    assert score(criterion("g", [F], weight=100), criterion("a", [P], kind=AWARD)) == 100.0


@pytest.mark.parametrize(
    ("trl", "fraction", "outcome"),
    [(3, 0.0, FAIL), (5, 0.0, FAIL), (6, 0.25, PASS), (7, 0.5, PASS), (9, 1.0, PASS)],
)
def test_scale_is_linear_between_its_bounds_and_clamped_outside(trl, fraction, outcome):
    result = requirement_result(R("trl", "scale", [5, 9]), {"trl": trl}, AWARD)
    assert (result.fraction, result.outcome) == (fraction, outcome)


def test_scale_counts_nothing_when_the_fact_is_missing():
    result = requirement_result(R("trl", "scale", [5, 9]), {}, AWARD)
    assert (result.fraction, result.outcome) == (0.0, UNKNOWN)


@pytest.mark.parametrize(
    ("sectors", "fraction"),
    [([], 0.0), (["iot"], 0.0), (["energy"], 0.25), (["energy", "water", "iot"], 0.5),
     (["energy", "water", "waste", "buildings"], 1.0)],
)  # fmt: skip
def test_overlap_ratio_is_the_share_of_listed_sectors_covered(sectors, fraction):
    spec = R("sectors", "overlap_ratio", ["energy", "water", "waste", "buildings"])
    assert requirement_result(spec, {"sectors": sectors}, AWARD).fraction == fraction


def test_group_fraction_is_the_lowest_and_criterion_fraction_the_highest():
    scale = R("trl", "scale", [1, 9])  # trl 5: 0.5
    ratio = R("sectors", "overlap_ratio", ["energy", "water", "iot", "waste"])  # 0.25
    compiled = program(criterion("a", [scale, ratio], [R("has_demo", "is_true", None)], kind=AWARD))
    result = evaluate(compiled, {"trl": 5, "sectors": ["energy"], "has_demo": False})
    assert result.criteria[0].fraction == 0.25
    assert result.score == 25.0
    result = evaluate(compiled, {"trl": 5, "sectors": ["energy"], "has_demo": True})
    assert result.criteria[0].fraction == 1.0


def test_a_group_with_an_unknown_requirement_scores_nothing():
    compiled = program(criterion("a", [R("trl", "scale", [1, 9]), U], kind=AWARD))
    assert evaluate(compiled, {"trl": 9}).criteria[0].fraction == 0.0


def fixes(compiled, profile):
    return [
        (fix.requirement, fix.outcome)
        for c in evaluate(compiled, profile).criteria
        for fix in c.fixes
    ]


def test_a_failed_gate_suggests_the_group_with_fewest_open_requirements():
    two = [F, R("has_demo", "is_true", None)]
    one = [R("employees", "gte", 10)]
    compiled = program(criterion("gate", two, one))
    assert fixes(compiled, {"trl": 5, "has_demo": False, "employees": 3}) == [(one[0], FAIL)]


def test_among_equally_short_groups_the_one_with_fewer_failures_wins():
    failing = [F, P]
    unknown = [U, P]
    compiled = program(criterion("gate", failing, unknown))
    assert fixes(compiled, PROFILE) == [(U, UNKNOWN)]


def test_among_equal_groups_the_first_wins():
    first = [R("trl", "gte", 8)]
    second = [R("trl", "gte", 9)]
    compiled = program(criterion("gate", first, second))
    assert fixes(compiled, PROFILE) == [(first[0], FAIL)]


def test_a_fix_on_something_the_vendor_cannot_change_comes_last():
    registered = [R("country", "eq", "RU")]
    partner = [R("partner_countries", "contains", "RU"), R("trl", "gte", 6)]
    compiled = program(criterion("origin", registered, partner))
    assert fixes(compiled, {"country": "TW", "partner_countries": [], "trl": 5}) == [
        (partner[0], FAIL),
        (partner[1], FAIL),
    ]


def test_a_fix_lists_every_open_requirement_of_the_chosen_group_in_order():
    group = [U, P, F]
    assert fixes(program(criterion("gate", group)), PROFILE) == [(U, UNKNOWN), (F, FAIL)]


def test_only_gates_that_do_not_pass_get_fixes():
    compiled = program(
        criterion("passing", [P]),
        criterion("award", [F], kind=AWARD),
    )
    assert fixes(compiled, PROFILE) == []


def test_a_fix_carries_the_profile_value():
    result = evaluate(program(criterion("trl", [R("trl", "gte", 6)])), {"trl": 4})
    assert result.criteria[0].fixes == (Fix(R("trl", "gte", 6), FAIL, 4),)


def moscow():
    return program(
        criterion(
            "origin",
            [R("country", "in", ["RU"])],
            [R("partner_countries", "contains", "RU")],
        ),
        criterion("prototype", [R("trl", "gte", 5)]),
        criterion("sectors", [R("sectors", "overlaps", MOSCOW_SECTORS)]),
        criterion("pilots", [R("prior_pilots", "gte", 1)], kind=AWARD),
        criterion("demo", [R("has_demo", "is_true", None)], kind=AWARD),
        criterion("coverage", [R("sectors", "overlap_ratio", MOSCOW_SECTORS)], kind=AWARD),
        criterion("maturity", [R("trl", "scale", [5, 9])], kind=AWARD),
        key="moscow-pilots",
    )


TAIWAN = {"country": "TW", "sectors": ["mobility"], "trl": 8, "partner_countries": []}


def test_moscow_taiwanese_company_without_partners_is_a_near_miss_on_origin():
    result = evaluate(moscow(), TAIWAN)
    assert result.eligibility is Eligibility.INELIGIBLE
    assert result.failed_gates == 1
    assert result.is_near_miss
    [origin] = [c for c in result.criteria if c.fixes]
    assert origin.key == "origin"
    assert [(f.requirement, f.outcome, f.actual) for f in origin.fixes] == [
        (R("partner_countries", "contains", "RU"), FAIL, frozenset())
    ]


def test_moscow_taiwanese_company_with_a_russian_partner_is_eligible():
    result = evaluate(moscow(), {**TAIWAN, "partner_countries": ["RU"]})
    assert result.eligibility is Eligibility.ELIGIBLE
    # coverage 1/8, maturity (8-5)/4; pilots and demo unknown: (0.125 + 0.75) / 4
    assert result.score == 21.88


def test_moscow_company_that_does_not_say_its_trl_is_incomplete():
    result = evaluate(moscow(), {"country": "RU", "sectors": ["energy"]})
    assert result.eligibility is Eligibility.INCOMPLETE
    [prototype] = [c for c in result.criteria if c.fixes]
    assert [(f.requirement.fact, f.outcome) for f in prototype.fixes] == [("trl", UNKNOWN)]


def test_procure_turns_away_finished_products_at_trl_9():
    procure = program(
        criterion("sectors", [R("sectors", "overlaps", ["energy", "buildings"])]),
        criterion("demo", [R("has_demo", "is_true", None)]),
        criterion("rnd", [R("trl", "between", [3, 8])]),
        key="procure-renewable-buildings",
    )
    profile = {"sectors": ["energy"], "has_demo": True, "trl": 9}
    result = evaluate(procure, profile)
    assert result.eligibility is Eligibility.INELIGIBLE
    assert [c.key for c in result.criteria if c.outcome is FAIL] == ["rnd"]
    assert evaluate(procure, {**profile, "trl": 8}).eligibility is Eligibility.ELIGIBLE


def test_failed_gates_counts_only_failed_gates():
    compiled = program(criterion("a", [F]), criterion("b", [F]), criterion("c", [U]))
    result = evaluate(compiled, PROFILE)
    assert result.failed_gates == 2
    assert not result.is_near_miss


def test_result_to_json_is_plain_json_with_codes_and_values():
    result = evaluate(moscow(), {**TAIWAN, "partner_countries": ["TW", "IL"]})
    data = json.loads(json.dumps(result.to_json()))
    assert data["program"] == "moscow-pilots"
    assert data["eligibility"] == "ineligible"
    assert data["score"] == result.score
    origin = data["criteria"][0]
    assert origin["kind"] == "gate"
    assert origin["outcome"] == "fail"
    assert origin["groups"][1][0] == {
        "fact": "partner_countries",
        "operator": "contains",
        "value": "RU",
        "hint": "",
        "outcome": "fail",
        "fraction": 0.0,
        "actual": ["IL", "TW"],
    }
    assert origin["fixes"] == [
        {
            "fact": "partner_countries",
            "operator": "contains",
            "value": "RU",
            "hint": "",
            "outcome": "fail",
            "actual": ["IL", "TW"],
        }
    ]


def test_results_are_ranked_eligible_then_incomplete_then_ineligible_then_by_score():
    eligible, incomplete, ineligible = (
        Eligibility.ELIGIBLE,
        Eligibility.INCOMPLETE,
        Eligibility.INELIGIBLE,
    )
    pairs = [
        ("n-high", (ineligible, 99.0)),
        ("i-low", (incomplete, 1.0)),
        ("e-none", (eligible, None)),
        ("e-mid-b", (eligible, 50.0)),
        ("e-mid-a", (eligible, 50.0)),
        ("e-high", (eligible, 90.0)),
    ]
    ranked = [name for name, _ in sorted(pairs, key=rank_key)]
    assert ranked == ["e-high", "e-mid-a", "e-mid-b", "e-none", "i-low", "n-high"]


def test_rank_key_takes_full_results_too():
    compiled = moscow()
    facts = read_facts(TAIWAN)
    assert rank_key(compiled.evaluate(facts)) == rank_key(
        (compiled.program, compiled.eligibility_and_score(facts))
    )


def test_compiling_a_rule_that_cannot_run_is_refused_up_front():
    with pytest.raises(InvalidRuleSetError) as raised:
        program(criterion("bad", [R("country", "gte", 5)]))
    assert [p.code for p in raised.value.problems] == ["operator_mismatch"]


def test_a_compiled_program_knows_its_ruleset():
    ruleset = RuleSet("moscow-pilots", 7, ())
    compiled = compile_ruleset(ruleset)
    assert (compiled.program, compiled.version, compiled.ruleset) == ("moscow-pilots", 7, ruleset)
