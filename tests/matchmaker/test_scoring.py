import datetime

import pytest
from django.utils import timezone

from applicants.models import Company, Partner
from matchmaker.models import Match
from matchmaker.scoring import load_company_facts, load_open_programs, score_companies
from programs.models import Program
from programs.services import program_bump_rules_version

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


def _table() -> list[tuple]:
    return list(
        Match.objects.order_by("company_id", "program_id").values_list(
            "company_id",
            "program__slug",
            "eligibility",
            "rank",
            "score",
            "failed_gates",
            "outcomes",
            "rules_version",
            "profile_version",
        )
    )


def test_a_company_keeps_eligible_incomplete_and_near_miss_programs_only(demo, make_company):
    # given a Taiwanese mobility company at TRL 4 without partners (declared none)
    company = make_company(trl=4, partners=[])

    # when it is scored against every open demo program
    result = score_companies(Company.objects.filter(pk=company.pk), now=NOW)

    # then programs it misses on one gate are kept; those it misses on two are not
    rows = {slug: (eligibility, failed) for _c, slug, eligibility, _r, _s, failed, *_ in _table()}
    assert rows == {
        "taipei-bottom-up-poc": ("ineligible", 1),  # TRL below 6
        "taipei-needs-first": ("ineligible", 1),  # TRL below 5
        "procure-renewable-buildings": ("ineligible", 1),  # sectors; the demo is unknown
    }
    # moscow-pilots (partner and TRL) and bristol-5g-logistics (sector and TRL) are dropped
    assert (result.pairs, result.stored) == (5, 3)


def test_eligible_programs_are_kept_with_their_scores(demo, make_company):
    company = make_company(partners=["RU"], has_demo=True, prior_pilots=2)

    score_companies(Company.objects.filter(pk=company.pk), now=NOW)

    moscow = Match.objects.get(company=company, program__slug="moscow-pilots")
    assert (moscow.eligibility, moscow.rank, moscow.failed_gates) == ("eligible", 0, 0)
    assert moscow.score == 71.88
    assert Match.objects.get(program__slug="taipei-bottom-up-poc").score is None


def test_a_stored_row_carries_outcomes_and_the_versions_it_was_computed_from(demo, make_company):
    company = make_company(partners=[])

    score_companies(Company.objects.filter(pk=company.pk), now=NOW)

    match = Match.objects.get(company=company, program__slug="moscow-pilots")
    program = Program.objects.get(slug="moscow-pilots")
    assert match.rules_version == program.rules_version
    assert match.profile_version == company.profile_version
    assert match.computed_at == NOW
    first = match.outcomes[0]
    assert first[1] == "fail"
    # the fix points at the partner requirement: group 1, requirement 0
    assert first[3] == [[1, 0, "fail", []]]


def test_scoring_twice_gives_the_same_table(demo, make_company):
    companies = [make_company(partners=[]), make_company(trl=None, partners=["RU"])]
    queryset = Company.objects.filter(pk__in=[company.pk for company in companies])

    score_companies(queryset, now=NOW)
    first = _table()
    score_companies(queryset, now=NOW + datetime.timedelta(minutes=5))

    assert _table() == first


def test_a_pair_that_stops_being_worth_keeping_is_removed(demo, make_company):
    company = make_company(partners=[])
    score_companies(Company.objects.filter(pk=company.pk), now=NOW)
    assert Match.objects.filter(company=company, program__slug="taipei-bottom-up-poc").exists()

    # TRL 2 fails the TRL gates everywhere: Taipei's POC becomes a near miss, Moscow a double miss
    Company.objects.filter(pk=company.pk).update(trl=2, profile_version=2)
    score_companies(Company.objects.filter(pk=company.pk), now=NOW)

    slugs = set(Match.objects.filter(company=company).values_list("program__slug", flat=True))
    assert "moscow-pilots" not in slugs
    assert (
        Match.objects.get(company=company, program__slug="taipei-bottom-up-poc").failed_gates == 1
    )


def test_a_stale_pass_never_overwrites_a_newer_result(demo, make_company):
    # given results computed from profile version 2
    company = make_company(partners=["RU"])
    Company.objects.filter(pk=company.pk).update(profile_version=2)
    score_companies(Company.objects.filter(pk=company.pk), now=NOW)
    newer = _table()

    # when a pass that read version 1 (the company without its partner) lands late
    Partner.objects.filter(company=company).delete()
    Company.objects.filter(pk=company.pk).update(profile_version=1)
    score_companies(Company.objects.filter(pk=company.pk), now=NOW)

    # then nothing computed from version 2 is overwritten or removed
    assert _table() == newer


def test_a_stale_pass_never_overwrites_results_of_newer_rules(demo, make_company):
    company = make_company(partners=["RU"])
    moscow = Program.objects.get(slug="moscow-pilots")
    score_companies(Company.objects.filter(pk=company.pk), now=NOW)
    Match.objects.filter(program=moscow).update(rules_version=moscow.rules_version + 1, score=99)

    score_companies(Company.objects.filter(pk=company.pk), now=NOW)

    assert Match.objects.get(program=moscow).score == 99


def test_matches_of_a_program_that_closed_are_removed_when_its_companies_are_scored(
    demo, make_company
):
    company = make_company(partners=[])
    score_companies(Company.objects.filter(pk=company.pk), now=NOW)
    Program.objects.filter(slug="taipei-needs-first").update(status=Program.Status.CLOSED)

    score_companies(Company.objects.filter(pk=company.pk), now=NOW)

    assert not Match.objects.filter(program__slug="taipei-needs-first").exists()


def test_scoring_one_program_leaves_the_companys_other_matches_alone(demo, make_company):
    company = make_company(partners=[])
    score_companies(Company.objects.filter(pk=company.pk), now=NOW)
    before = _table()
    moscow = Program.objects.get(slug="moscow-pilots")

    score_companies(Company.objects.filter(pk=company.pk), program_ids=[moscow.pk], now=NOW)

    assert _table() == before


def test_loading_facts_takes_three_queries_whatever_the_number_of_companies(
    demo, make_company, django_assert_num_queries
):
    for _ in range(5):
        make_company(partners=["RU", "DE"])

    # companies, their sectors, their partners
    with django_assert_num_queries(3):
        facts = load_company_facts(Company.objects.all())

    assert len(facts) == 5


def test_loading_open_programs_compiles_each_once(demo, django_assert_num_queries):
    # the open programs; then, for those not compiled yet, the programs with their owner, their
    # criteria, groups and requirements
    with django_assert_num_queries(5):
        programs = load_open_programs()
    # compiled rules are kept: only the programs query remains
    with django_assert_num_queries(1):
        load_open_programs()

    assert len(programs) == 5


def test_a_rules_change_makes_the_compiled_rules_recompile(demo):
    load_open_programs()
    moscow = Program.objects.get(slug="moscow-pilots")

    program_bump_rules_version(program_id=moscow.pk)

    versions = {program.id: program.compiled.version for program in load_open_programs()}
    assert versions[moscow.pk] == moscow.rules_version + 1


def test_a_company_without_facts_is_incomplete_where_no_gate_fails(demo):
    company = Company.objects.create(legal_name="Blank", country="TW")

    score_companies(Company.objects.filter(pk=company.pk), now=timezone.now())

    assert set(Match.objects.values_list("eligibility", flat=True)) == {"incomplete"}
