"""matchmaker.selectors: a company's stored matches, worded, with deadlines and staleness."""

import datetime
from typing import Any

import pytest
from django.utils import timezone, translation

from applicants.models import Company
from matchmaker.selectors import company_matches
from matchmaker.services import companies_score
from programs.models import Program, Requirement, Sector, Stage
from programs.rules import wording
from programs.selectors import clear_compiled_cache
from programs.services import program_bump_rules_version
from tests.factories import ProgramFactory, add_criterion

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(demo: None, make_company: Any) -> Company:
    """A Taiwanese mobility company at TRL 8 without partners (declared), scored."""
    company: Company = make_company(partners=[], has_demo=True, prior_pilots=2)
    companies_score(company_ids=[company.pk])
    company.refresh_from_db()
    return company


def by_slug(company: Company) -> dict[str, Any]:
    return {view.program.slug: view for view in company_matches(company, wording=wording())}


def test_matches_come_eligible_first_then_by_score_then_by_title(company: Company) -> None:
    views = company_matches(company, wording=wording())

    assert [(view.program.slug, view.match.eligibility) for view in views] == [
        ("taipei-bottom-up-poc", "eligible"),
        ("taipei-needs-first", "eligible"),
        ("moscow-pilots", "ineligible"),  # 71.88
        ("procure-renewable-buildings", "ineligible"),  # 60
        ("bristol-5g-logistics", "ineligible"),  # no score: last
    ]


def test_an_incomplete_match_comes_between_eligible_ones_and_near_misses(
    demo: None, make_company: Any
) -> None:
    company = make_company()  # partners not declared: moscow-pilots' partner gate is unknown
    companies_score(company_ids=[company.pk])

    views = company_matches(Company.objects.get(pk=company.pk), wording=wording())

    assert [view.match.eligibility for view in views] == [
        "eligible",
        "eligible",
        "incomplete",
        "ineligible",
        "ineligible",
    ]


def test_criteria_are_worded_with_their_fixes(company: Company) -> None:
    moscow = by_slug(company)["moscow-pilots"]

    [failed] = [gate for gate in moscow.gates if gate.outcome == "fail"]
    assert failed.label == "Russian company or foreign company with a Russian partner"
    assert failed.fixes == ("Add a partner registered in Russia",)
    assert moscow.fixes == ["Add a partner registered in Russia"]
    assert len(moscow.awards) == 4


def test_the_next_deadline_is_the_earliest_stage_closing_ahead_with_its_name(
    company: Company,
) -> None:
    moscow = Program.objects.get(slug="moscow-pilots")
    now = timezone.now()
    Stage.objects.filter(program=moscow, name="Application").update(
        opens_at=now - datetime.timedelta(days=9), closes_at=now - datetime.timedelta(hours=1)
    )
    expert = Stage.objects.get(program=moscow, name="Expert review")

    view = by_slug(company)["moscow-pilots"]

    assert (view.next_deadline, view.next_stage) == (expert.closes_at, "Expert review")


def test_a_failed_partner_gate_names_the_countries_it_asks_for(company: Company) -> None:
    views = by_slug(company)

    assert views["moscow-pilots"].partner_countries_asked == ("RU",)
    assert views["procure-renewable-buildings"].partner_countries_asked == ()
    assert views["taipei-bottom-up-poc"].partner_countries_asked == ()


def test_a_partner_gate_over_several_countries_names_each(demo: None, make_company: Any) -> None:
    program = ProgramFactory(slug="baltic-pilots")
    add_criterion(
        program,
        label="A partner in the Baltics",
        groups=[[("partner_countries", "overlaps", ["LV", "EE"])]],
    )
    company = make_company(partners=["DE"])
    companies_score(company_ids=[company.pk])

    assert by_slug(company)["baltic-pilots"].partner_countries_asked == ("EE", "LV")


def test_an_undecided_partner_gate_asks_for_no_country(demo: None, make_company: Any) -> None:
    company = make_company()  # partners not declared: the fix is "tell us", not "add one"
    companies_score(company_ids=[company.pk])

    assert by_slug(company)["moscow-pilots"].partner_countries_asked == ()


def test_a_match_is_stale_when_the_profile_or_the_rules_moved_on(company: Company) -> None:
    assert not any(view.is_stale for view in by_slug(company).values())

    program_bump_rules_version(program_id=Program.objects.get(slug="moscow-pilots").pk)
    assert {slug for slug, view in by_slug(company).items() if view.is_stale} == {"moscow-pilots"}

    Company.objects.filter(pk=company.pk).update(profile_version=company.profile_version + 1)
    company.refresh_from_db()
    assert all(view.is_stale for view in by_slug(company).values())


def test_matches_of_programs_no_longer_open_are_left_out(company: Company) -> None:
    Program.objects.filter(slug="moscow-pilots").update(status=Program.Status.CLOSED)

    assert "moscow-pilots" not in by_slug(company)


@pytest.mark.parametrize("compiled", [True, False], ids=["rules-compiled", "rules-cold"])
def test_the_matches_cost_one_query_plus_four_to_compile_rules(
    company: Company, django_assert_num_queries: Any, compiled: bool
) -> None:
    words = wording()  # the sector names: one query, made by the caller
    if not compiled:
        clear_compiled_cache()

    # 1 the matches with programs, owners, next deadlines and stages; and only when rules are
    # not compiled in this process: 2 programs, 3 criteria, 4 groups, 5 requirements
    with django_assert_num_queries(1 if compiled else 5):
        views = company_matches(company, wording=words)

    assert len(views) == 5


# --- words kept for the process ------------------------------------------------------------------


def gate_message(company: Company, slug: str, label_start: str) -> str:
    view = by_slug(company)[slug]
    [gate] = [gate for gate in view.gates if gate.label.startswith(label_start)]
    return gate.message


def test_a_rule_change_is_worded_afresh(company: Company) -> None:
    assert gate_message(company, "moscow-pilots", "Russian company") == (
        "Registered in Russia, or a partner registered in Russia"
    )
    # when the rule names Belarus instead, as an edit through the rule builder would
    moscow = Program.objects.get(slug="moscow-pilots")
    requirements = Requirement.objects.filter(group__criterion__program=moscow)
    requirements.filter(fact="country").update(value=["BY"])
    requirements.filter(fact="partner_countries").update(value="BY")
    program_bump_rules_version(program_id=moscow.pk)

    assert gate_message(company, "moscow-pilots", "Russian company") == (
        "Registered in Belarus, or a partner registered in Belarus"
    )


def test_a_renamed_sector_is_worded_afresh_with_the_same_rules(company: Company) -> None:
    before = gate_message(company, "moscow-pilots", "Works in an industry")
    assert "Mobility" in before

    Sector.objects.filter(code="mobility").update(name="Transport and mobility")

    assert gate_message(company, "moscow-pilots", "Works in an industry") == before.replace(
        "Mobility", "Transport and mobility"
    )


def test_the_words_follow_the_language(company: Company) -> None:
    by_slug(company)  # worded in English first, and kept

    with translation.override("ru"):
        # The demo's Russian label of the gate "Russian company or foreign company with ...".
        message = gate_message(company, "moscow-pilots", "Российская компания")

    assert "Россия" in message
    assert "Russia" in gate_message(company, "moscow-pilots", "Russian company")
