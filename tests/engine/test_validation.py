import pytest

from matchmaker.engine import (
    CriterionKind,
    CriterionSpec,
    GroupSpec,
    RequirementSpec,
    RuleProblem,
    RuleSet,
    Vocabulary,
    validate_criterion,
    validate_requirement,
    validate_ruleset,
)

VOCABULARY = Vocabulary(
    countries=frozenset({"RU", "TW", "IL"}), sectors=frozenset({"energy", "buildings", "mobility"})
)
GATE = CriterionKind.GATE
AWARD = CriterionKind.AWARD


def problems(fact, operator, value, kind=GATE):
    return [
        (p.field, p.code)
        for p in validate_requirement(
            RequirementSpec(fact, operator, value), kind=kind, vocabulary=VOCABULARY
        )
    ]


@pytest.mark.parametrize(
    ("fact", "operator", "value", "kind"),
    [
        ("country", "eq", "RU", GATE),
        ("country", "ne", "TW", GATE),
        ("country", "in", ["RU", "TW"], GATE),
        ("country", "not_in", ["IL"], GATE),
        ("country", "present", None, GATE),
        ("partner_countries", "contains", "RU", GATE),
        ("partner_countries", "overlaps", ["RU", "TW"], GATE),
        ("partner_countries", "present", None, GATE),
        ("sectors", "contains", "energy", GATE),
        ("sectors", "overlaps", ["energy", "buildings"], GATE),
        ("sectors", "overlap_ratio", ["energy", "buildings"], AWARD),
        ("sectors", "present", None, GATE),
        ("trl", "eq", 5, GATE),
        ("trl", "ne", 5, GATE),
        ("trl", "in", [5, 6], GATE),
        ("trl", "not_in", [1], GATE),
        ("trl", "gte", 5, GATE),
        ("trl", "lte", 9, GATE),
        ("trl", "between", [3, 8], GATE),
        ("trl", "between", [4, 4], GATE),
        ("trl", "scale", [5, 9], AWARD),
        ("trl", "present", None, GATE),
        ("employees", "gte", 100_000, GATE),
        ("has_demo", "is_true", None, GATE),
        ("has_demo", "is_false", None, AWARD),
        ("has_demo", "present", None, GATE),
    ],
)
def test_a_well_formed_requirement_has_no_problems(fact, operator, value, kind):
    assert problems(fact, operator, value, kind) == []


def test_an_unknown_fact_is_rejected_with_its_name():
    [problem] = validate_requirement(
        RequirementSpec("colour", "eq", "red"), kind=GATE, vocabulary=VOCABULARY
    )
    assert problem == RuleProblem("fact", "unknown_fact", {"fact": "colour"})


def test_an_operator_that_does_not_fit_the_fact_lists_the_ones_that_do():
    [problem] = validate_requirement(
        RequirementSpec("country", "gte", 5), kind=GATE, vocabulary=VOCABULARY
    )
    assert problem.field == "operator"
    assert problem.code == "operator_mismatch"
    assert problem.params["allowed"] == ["eq", "ne", "in", "not_in", "present"]


def test_an_operator_that_does_not_exist_is_rejected():
    assert problems("trl", "greater", 5) == [("operator", "unknown_operator")]


def test_the_allowed_list_for_a_gate_leaves_out_award_only_operators():
    [problem] = validate_requirement(
        RequirementSpec("trl", "contains", 5), kind=GATE, vocabulary=VOCABULARY
    )
    assert "scale" not in problem.params["allowed"]
    [problem] = validate_requirement(
        RequirementSpec("trl", "contains", 5), kind=AWARD, vocabulary=VOCABULARY
    )
    assert "scale" in problem.params["allowed"]


@pytest.mark.parametrize(
    ("fact", "operator", "value"),
    [("trl", "scale", [5, 9]), ("sectors", "overlap_ratio", ["energy"])],
)
def test_award_only_operators_are_rejected_in_a_gate(fact, operator, value):
    assert problems(fact, operator, value, GATE) == [("operator", "award_only")]
    assert problems(fact, operator, value, AWARD) == []


@pytest.mark.parametrize(
    ("fact", "operator", "value", "code"),
    [
        ("country", "eq", "XX", "unknown_country"),
        ("country", "eq", "ru", "unknown_country"),
        ("country", "eq", 7, "expected_country_code"),
        ("country", "eq", ["RU"], "expected_country_code"),
        ("country", "in", "RU", "expected_list"),
        ("country", "in", [], "empty_list"),
        ("country", "in", ["RU", "RU"], "duplicate_values"),
        ("country", "not_in", ["RU", "XX"], "unknown_country"),
        ("country", "present", "RU", "value_not_expected"),
        ("partner_countries", "contains", "XX", "unknown_country"),
        ("partner_countries", "overlaps", [], "empty_list"),
        ("sectors", "contains", "space", "unknown_sector"),
        ("sectors", "overlaps", ["energy", None], "expected_sector_code"),
        ("trl", "gte", 10, "out_of_bounds"),
        ("trl", "gte", 0, "out_of_bounds"),
        ("trl", "gte", "5", "expected_integer"),
        ("trl", "gte", 5.0, "expected_integer"),
        ("trl", "gte", True, "expected_integer"),
        ("trl", "in", [5, 5], "duplicate_values"),
        ("trl", "between", [8, 3], "range_reversed"),
        ("trl", "between", [3], "expected_range"),
        ("trl", "between", [3, 8, 9], "expected_range"),
        ("trl", "between", 3, "expected_range"),
        ("trl", "between", [3, 10], "out_of_bounds"),
        ("employees", "gte", -1, "out_of_bounds"),
        ("founded_year", "lte", 2101, "out_of_bounds"),
        ("has_demo", "is_true", True, "value_not_expected"),
    ],
)
def test_a_malformed_value_is_rejected(fact, operator, value, code):
    assert problems(fact, operator, value) == [("value", code)]


@pytest.mark.parametrize(("value", "code"), [([5, 5], "range_empty"), ([9, 5], "range_reversed")])
def test_scale_needs_a_lower_bound_strictly_below_the_upper(value, code):
    assert problems("trl", "scale", value, AWARD) == [("value", code)]


def test_out_of_bounds_names_the_fact_and_its_bounds():
    [problem] = validate_requirement(
        RequirementSpec("trl", "gte", 12), kind=GATE, vocabulary=VOCABULARY
    )
    assert problem.params == {"fact": "trl", "value": 12, "minimum": 1, "maximum": 9}


def test_without_a_vocabulary_codes_are_only_checked_for_shape():
    spec = RequirementSpec("sectors", "contains", "space")
    assert validate_requirement(spec, kind=GATE, vocabulary=None) == []


def criterion(*groups, kind=GATE, weight=1.0, key="origin"):
    return CriterionSpec(
        key=key,
        label="Origin",
        kind=kind,
        weight=weight,
        groups=tuple(GroupSpec(tuple(group)) for group in groups),
    )


RU = RequirementSpec("country", "eq", "RU")


@pytest.mark.parametrize("weight", [-1, -0.01])
def test_an_award_weight_below_zero_is_rejected(weight):
    found = validate_criterion(criterion([RU], kind=AWARD, weight=weight), VOCABULARY)
    assert [(p.field, p.code, p.location) for p in found] == [
        ("weight", "negative_weight", ("origin",))
    ]


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), "10", None, True])
def test_an_award_weight_that_is_not_a_number_is_rejected(weight):
    found = validate_criterion(criterion([RU], kind=AWARD, weight=weight), VOCABULARY)
    assert [(p.field, p.code) for p in found] == [("weight", "invalid_weight")]


def test_a_zero_award_weight_is_allowed_and_gates_ignore_weight():
    assert validate_criterion(criterion([RU], kind=AWARD, weight=0), VOCABULARY) == []
    assert validate_criterion(criterion([RU], kind=GATE, weight=-5), VOCABULARY) == []


def test_a_criterion_needs_at_least_one_group():
    found = validate_criterion(criterion(), VOCABULARY)
    assert [(p.field, p.code) for p in found] == [("groups", "no_groups")]


def test_every_group_needs_at_least_one_requirement():
    found = validate_criterion(criterion([RU], []), VOCABULARY)
    assert [(p.field, p.code, p.params, p.location) for p in found] == [
        ("groups", "empty_group", {"group": 2}, ("origin", 1))
    ]


def test_ruleset_problems_say_which_criterion_group_and_requirement():
    ruleset = RuleSet(
        program="moscow-pilots",
        version=3,
        criteria=(
            criterion([RU], key="origin"),
            criterion(
                [RU],
                [RU, RequirementSpec("trl", "scale", [5, 9])],
                key="maturity",
            ),
            criterion([RequirementSpec("trl", "gte", 99)], key="trl", kind=AWARD),
        ),
    )
    found = validate_ruleset(ruleset, VOCABULARY)
    assert [(p.code, p.location) for p in found] == [
        ("award_only", ("maturity", 1, 1)),
        ("out_of_bounds", ("trl", 0, 0)),
    ]


def test_a_valid_ruleset_has_no_problems():
    ruleset = RuleSet("p", 1, (criterion([RU], [RequirementSpec("trl", "gte", 5)]),))
    assert validate_ruleset(ruleset, VOCABULARY) == []
