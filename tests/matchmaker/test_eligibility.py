"""matchmaker.eligibility.eligibility_report: facts against one program's compiled rules."""

from typing import Any

import pytest

from matchmaker.eligibility import CriterionVerdict, eligibility_report
from programs.models import Criterion, Program
from programs.services import program_bump_rules_version
from tests.factories import ProgramFactory, add_criterion

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> Program:
    """Moscow's partner gate, a TRL gate, and two award criteria weighted 3:1."""
    program = ProgramFactory(slug="pilots")
    add_criterion(
        program,
        label="Russian company or partner",
        groups=[[("country", "in", ["RU"])], [("partner_countries", "contains", "RU")]],
    )
    add_criterion(program, label="Ready to pilot", groups=[[("trl", "gte", 5)]])
    add_criterion(
        program,
        label="Has a demo",
        kind=Criterion.Kind.AWARD,
        weight=3,
        groups=[[("has_demo", "is_true", None)]],
    )
    add_criterion(
        program,
        label="Has piloted before",
        kind=Criterion.Kind.AWARD,
        weight=1,
        groups=[[("prior_pilots", "gte", 1)]],
    )
    return program


def verdicts(report: Any) -> dict[str, CriterionVerdict]:
    return {verdict.label: verdict for verdict in report.criteria}


def test_all_gates_passing_is_eligible_with_the_weighted_score(program: Program) -> None:
    report = eligibility_report(
        program=program,
        facts={"country": "TW", "partner_countries": ["RU"], "trl": 6, "has_demo": True},
    )

    assert report.eligibility == "eligible"
    # has_demo passes (weight 3), prior_pilots unknown counts 0 (weight 1): 3/4.
    assert report.score == 75.0
    assert report.program == "pilots"


def test_a_failed_gate_is_ineligible_and_says_what_would_fix_it(program: Program) -> None:
    report = eligibility_report(
        program=program, facts={"country": "TW", "partner_countries": [], "trl": 8}
    )

    assert report.eligibility == "ineligible"
    gate = verdicts(report)["Russian company or partner"]
    assert (gate.kind, gate.outcome) == ("gate", "fail")
    assert gate.fixes == ("Add a partner registered in Russia",)


def test_a_missing_fact_leaves_the_result_incomplete_and_asks_for_it(program: Program) -> None:
    report = eligibility_report(program=program, facts={"country": "RU", "trl": None})

    assert report.eligibility == "incomplete"
    gate = verdicts(report)["Ready to pilot"]
    assert gate.outcome == "unknown"
    assert gate.fixes == ("Tell us your TRL",)


def test_every_criterion_carries_its_rule_in_plain_language(program: Program) -> None:
    report = eligibility_report(program=program, facts={})

    assert [(verdict.label, verdict.message) for verdict in report.criteria] == [
        ("Russian company or partner", "Registered in Russia, or a partner registered in Russia"),
        ("Ready to pilot", "TRL at least 5"),
        ("Has a demo", "Has a working demo"),
        ("Has piloted before", "At least 1 prior pilot"),
    ]


def test_award_criteria_and_passed_gates_offer_no_fixes(program: Program) -> None:
    report = eligibility_report(program=program, facts={"country": "RU", "trl": 2})

    assert {verdict.label: verdict.fixes for verdict in report.criteria} == {
        "Russian company or partner": (),
        "Ready to pilot": ("TRL must be at least 5 — yours is 2",),
        "Has a demo": (),
        "Has piloted before": (),
    }


def test_the_report_names_the_rules_version_it_was_computed_from(program: Program) -> None:
    program_bump_rules_version(program_id=program.pk)
    program.refresh_from_db()

    report = eligibility_report(program=program, facts={})

    assert report.rules_version == 2


def test_a_rule_change_is_evaluated_afresh(program: Program) -> None:
    facts = {"country": "RU", "trl": 6, "sectors": ["mobility"]}
    assert eligibility_report(program=program, facts=facts).eligibility == "eligible"

    add_criterion(program, label="Health only", groups=[[("sectors", "contains", "health")]])
    program_bump_rules_version(program_id=program.pk)
    program.refresh_from_db()

    assert eligibility_report(program=program, facts=facts).eligibility == "ineligible"


def test_with_rules_compiled_it_only_reads_the_sector_names(
    program: Program, django_assert_num_queries: Any
) -> None:
    eligibility_report(program=program, facts={})

    # 1. the sector names for the wording; the compiled rules come from the process cache
    with django_assert_num_queries(1):
        eligibility_report(program=program, facts={"trl": 4})


def test_the_first_check_loads_and_compiles_the_rules_in_five_queries(
    program: Program, django_assert_num_queries: Any
) -> None:
    # 1. the program with its owner   2. criteria   3. groups   4. requirements
    # 5. the sector names for the wording
    with django_assert_num_queries(5):
        eligibility_report(program=program, facts={})
