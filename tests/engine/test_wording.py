import pytest

from matchmaker.engine import (
    CriterionKind,
    CriterionSpec,
    Fix,
    GroupSpec,
    Outcome,
    RequirementSpec,
    RuleProblem,
    Vocabulary,
    Wording,
    describe_criterion,
    describe_fix,
    describe_problem,
    describe_requirement,
    validate_requirement,
)

R = RequirementSpec
COUNTRIES = {"RU": "Russia", "TW": "Taiwan", "IL": "Israel"}
SECTORS = {"energy": "Energy", "buildings": "Buildings", "mobility": "Mobility"}
WORDS = Wording(country_name=COUNTRIES.__getitem__, sector_name=SECTORS.__getitem__)


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (R("country", "eq", "RU"), "Registered in Russia"),
        (R("country", "in", ["RU"]), "Registered in Russia"),
        (R("country", "in", ["RU", "IL"]), "Registered in one of: Russia, Israel"),
        (R("country", "ne", "RU"), "Not registered in Russia"),
        (R("country", "not_in", ["RU", "IL"]), "Not registered in any of: Russia, Israel"),
        (R("country", "present", None), "Country of registration provided"),
        (R("partner_countries", "contains", "RU"), "A partner registered in Russia"),
        (R("partner_countries", "overlaps", ["RU"]), "A partner registered in Russia"),
        (
            R("partner_countries", "overlaps", ["RU", "IL"]),
            "A partner registered in one of: Russia, Israel",
        ),
        (R("sectors", "contains", "energy"), "Works in Energy"),
        (
            R("sectors", "overlaps", ["energy", "buildings"]),
            "Works in at least one of: Energy, Buildings",
        ),
        (
            R("sectors", "overlap_ratio", ["energy", "buildings"]),
            "The more of these sectors, the higher the score: Energy, Buildings",
        ),
        (R("trl", "gte", 6), "TRL at least 6"),
        (R("trl", "lte", 6), "TRL at most 6"),
        (R("trl", "eq", 6), "TRL is 6"),
        (R("trl", "ne", 6), "TRL is not 6"),
        (R("trl", "in", [6, 7]), "TRL is one of: 6, 7"),
        (R("trl", "not_in", [1, 2]), "TRL is none of: 1, 2"),
        (R("trl", "between", [3, 8]), "TRL between 3 and 8"),
        (R("trl", "scale", [5, 9]), "Higher TRL scores more (from 5 to 9)"),
        (R("trl", "present", None), "TRL provided"),
        (R("has_demo", "is_true", None), "Has a working demo"),
        (R("has_demo", "is_false", None), "Has no working demo"),
        (R("has_demo", "present", None), "Says whether it has a working demo"),
        (R("employees", "gte", 5), "At least 5 employees"),
        (R("employees", "gte", 1), "At least 1 employee"),
        (R("employees", "lte", 50), "Number of employees at most 50"),
        (R("prior_pilots", "gte", 1), "At least 1 prior pilot"),
        (R("founded_year", "gte", 2015), "Founded in 2015 or later"),
        (R("founded_year", "lte", 2015), "Founded in 2015 or earlier"),
        (
            R("employees", "scale", [10, 100]),
            "Higher number of employees scores more (from 10 to 100)",
        ),
    ],
)
def test_a_requirement_reads_as_plain_language(spec, text):
    assert describe_requirement(spec, WORDS) == text


def test_a_broken_requirement_is_shown_as_data_instead_of_raising():
    assert describe_requirement(R("colour", "eq", "red"), WORDS) == "colour eq 'red'"
    assert describe_requirement(R("trl", "between", "3-8"), WORDS) == "trl between '3-8'"


def criterion(*groups):
    return CriterionSpec(
        key="c",
        label="C",
        kind=CriterionKind.GATE,
        weight=1.0,
        groups=tuple(GroupSpec(tuple(group)) for group in groups),
    )


def test_a_criterion_joins_groups_with_or_and_requirements_with_and():
    spec = criterion(
        [R("country", "in", ["RU"])],
        [R("partner_countries", "contains", "RU"), R("trl", "gte", 6)],
    )
    assert describe_criterion(spec, WORDS) == (
        "Registered in Russia, or a partner registered in Russia and TRL at least 6"
    )


def test_a_criterion_keeps_acronyms_capitalised_mid_sentence():
    spec = criterion([R("has_demo", "is_true", None)], [R("trl", "gte", 8)])
    assert describe_criterion(spec, WORDS) == "Has a working demo, or TRL at least 8"


def fix(spec, outcome=Outcome.FAIL, actual=None):
    return describe_fix(Fix(spec, outcome, actual), WORDS)


@pytest.mark.parametrize(
    ("spec", "actual", "text"),
    [
        (
            R("partner_countries", "contains", "RU"),
            frozenset(),
            "Add a partner registered in Russia",
        ),
        (
            R("partner_countries", "overlaps", ["RU", "IL"]),
            frozenset({"TW"}),
            "Add a partner registered in one of: Russia, Israel",
        ),
        (
            R("country", "eq", "RU"),
            "TW",
            "Country of registration must be Russia — yours is Taiwan",
        ),
        (
            R("country", "in", ["RU", "IL"]),
            "TW",
            "Country of registration must be one of: Russia, Israel — yours is Taiwan",
        ),
        (R("country", "ne", "TW"), "TW", "Country of registration must not be Taiwan"),
        (R("trl", "gte", 6), 4, "TRL must be at least 6 — yours is 4"),
        (R("trl", "lte", 6), 8, "TRL must be at most 6 — yours is 8"),
        (R("trl", "between", [3, 8]), 9, "TRL must be between 3 and 8 — yours is 9"),
        (R("trl", "eq", 5), 4, "TRL must be 5 — yours is 4"),
        (R("trl", "in", [5, 6]), 4, "TRL must be one of: 5, 6 — yours is 4"),
        (R("trl", "ne", 5), 5, "TRL must not be 5"),
        (R("sectors", "contains", "energy"), frozenset(), "Add the sector Energy"),
        (
            R("sectors", "overlaps", ["energy", "buildings"]),
            frozenset({"mobility"}),
            "Add one of these sectors: Energy, Buildings",
        ),
        (R("has_demo", "is_true", None), False, "Have a working demo"),
        (R("employees", "gte", 5), 2, "Number of employees must be at least 5 — yours is 2"),
    ],
)
def test_a_fix_for_a_failed_requirement_says_what_to_change(spec, actual, text):
    assert fix(spec, Outcome.FAIL, actual) == text


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (R("trl", "gte", 6), "Tell us your TRL"),
        (R("country", "eq", "RU"), "Tell us your country of registration"),
        (R("partner_countries", "contains", "RU"), "Tell us your partner countries"),
        (R("has_demo", "is_true", None), "Tell us whether you have a working demo"),
        (R("employees", "present", None), "Tell us your number of employees"),
    ],
)
def test_a_fix_for_an_unknown_requirement_asks_for_the_fact(spec, text):
    assert fix(spec, Outcome.UNKNOWN) == text


def test_wording_goes_through_the_translation_functions():
    french = {
        "Registered in %(country)s": "Immatriculée en %(country)s",
        "%(first)s, or %(then)s": "%(first)s, ou %(then)s",
        "A partner registered in %(country)s": "Un partenaire immatriculé en %(country)s",
    }
    words = Wording(
        gettext=lambda message: french.get(message, message),
        country_name={"RU": "Russie"}.__getitem__,
    )
    spec = criterion([R("country", "eq", "RU")], [R("partner_countries", "contains", "RU")])
    assert describe_criterion(spec, words) == (
        "Immatriculée en Russie, ou un partenaire immatriculé en Russie"
    )


def test_plurals_go_through_ngettext():
    calls = []

    def ngettext(singular, plural, number):
        calls.append((singular, plural, number))
        return plural

    words = Wording(ngettext=ngettext)
    assert describe_requirement(R("employees", "gte", 20), words) == "At least 20 employees"
    assert calls == [("At least %(count)s employee", "At least %(count)s employees", 20)]


VOCABULARY = Vocabulary(countries=frozenset(COUNTRIES), sectors=frozenset(SECTORS))


def message(fact, operator, value, kind=CriterionKind.GATE):
    [problem] = validate_requirement(R(fact, operator, value), kind=kind, vocabulary=VOCABULARY)
    return describe_problem(problem, WORDS)


@pytest.mark.parametrize(
    ("requirement", "text"),
    [
        (("foo", "eq", 1), "Unknown fact “foo”."),
        (
            ("country", "gte", 5),
            "Operator “gte” does not fit Country of registration; "
            "use one of: eq, ne, in, not_in, present.",
        ),
        (
            ("trl", "bigger", 5),
            "Unknown operator “bigger”; "
            "use one of: eq, ne, in, not_in, gte, lte, between, present.",
        ),
        (
            ("trl", "scale", [5, 9]),
            "Operator “scale” only scores award criteria; in a gate use one of: "
            "eq, ne, in, not_in, gte, lte, between, present.",
        ),
        (("country", "eq", "XX"), "“XX” is not a country code."),
        (("sectors", "contains", "space"), "“space” is not a sector code."),
        (("trl", "gte", 12), "TRL must be between 1 and 9."),
        (("employees", "gte", -3), "Number of employees must be at least 0."),
        (("trl", "gte", "six"), "Enter a whole number, not “six”."),
        (("trl", "between", [8, 3]), "The lower bound (8) must not be above the upper bound (3)."),
        (("trl", "between", 5), "Enter two whole numbers: the lower bound, then the upper bound."),
        (("country", "in", []), "Enter at least one value."),
        (("country", "in", "RU"), "Enter a list of values."),
        (("country", "in", ["RU", "RU"]), "Remove the repeated value: RU."),
        (("trl", "in", [2, 3, 2, 3]), "Remove the repeated values: 2, 3."),
        (("has_demo", "is_true", True), "Operator “is_true” takes no value; leave it empty."),
    ],
)
def test_a_rule_problem_reads_as_a_clear_message_for_staff(requirement, text):
    assert message(*requirement) == text


def test_scale_with_equal_bounds_explains_itself():
    assert message("trl", "scale", [5, 5], CriterionKind.AWARD) == (
        "The lower bound must be below the upper bound; both are 5."
    )


@pytest.mark.parametrize(
    ("code", "params", "text"),
    [
        ("negative_weight", {"weight": -1}, "The weight must be zero or more."),
        ("invalid_weight", {"weight": "x"}, "Enter the weight as a number."),
        ("no_groups", {}, "Add at least one group of requirements."),
        ("empty_group", {"group": 2}, "Group 2 has no requirements; add one or remove the group."),
        ("something_new", {}, "This rule is not valid (something_new)."),
    ],
)
def test_criterion_problems_read_as_clear_messages(code, params, text):
    problem = RuleProblem("groups", code, params)
    assert describe_problem(problem, WORDS) == text
