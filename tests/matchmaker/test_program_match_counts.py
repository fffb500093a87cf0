"""Each program's count of matches that fit (ProgramMatchCount), kept by the database's triggers
whatever writes the matches: the scoring's merge and its removals, a program's clear, a company
deleted with its matches, plain ORM writes. Checked against a live count after each write."""

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from applicants.models import Company
from matchmaker import services, storage
from matchmaker.models import Match, ProgramMatchCount
from matchmaker.scoring import RANKS
from programs.models import Program

pytestmark = pytest.mark.django_db


def counted(program: Program) -> int:
    """What the workspace reads: the maintained count (no row: nothing fits)."""
    fitting = ProgramMatchCount.objects.filter(program=program).values_list("fitting", flat=True)
    return fitting.first() or 0


def live(program: Program) -> int:
    return Match.objects.filter(program=program, rank__lte=1).count()


@pytest.fixture
def programs(demo: None) -> list[Program]:
    return list(Program.objects.filter(status=Program.Status.OPEN).order_by("pk")[:2])


@pytest.fixture
def companies(make_company: Callable[..., Company]) -> list[Company]:
    return [make_company(legal_name=f"Company {number}") for number in range(3)]


def store(
    eligibilities: dict[tuple[Company, Program], str],
    *,
    companies: Sequence[Company],
    programs: Sequence[Program],
    profile_version: int = 1,
) -> storage.Written:
    """Stores the given pairs as the scorer does, for ``companies`` × ``programs``: pairs of
    that scope left out are removed."""
    now = timezone.now()
    rows = [
        storage.MatchRow(
            company_id=company.pk,
            program_id=program.pk,
            eligibility=eligibility,
            rank=RANKS[eligibility],
            score=50.0,
            failed_gates=1 if eligibility == "ineligible" else 0,
            outcomes=[],
            rules_version=program.rules_version,
            profile_version=profile_version,
            computed_at=now,
        )
        for (company, program), eligibility in eligibilities.items()
    ]
    return storage.store_matches(
        rows,
        companies={company.pk: profile_version for company in companies},
        programs={program.pk: program.rules_version for program in programs},
    )


def assert_counts_are_live(programs: Sequence[Program]) -> None:
    assert [counted(program) for program in programs] == [live(program) for program in programs]


def test_stored_matches_are_counted_when_they_fit(
    programs: list[Program], companies: list[Company]
) -> None:
    first, second = programs
    a, b, c = companies

    store(
        {
            (a, first): "eligible",
            (b, first): "incomplete",
            (c, first): "ineligible",
            (a, second): "ineligible",
        },
        companies=companies,
        programs=programs,
    )

    assert (counted(first), counted(second)) == (2, 0)
    assert_counts_are_live(programs)


def test_a_rescore_that_changes_eligibility_moves_the_count(
    programs: list[Program], companies: list[Company]
) -> None:
    first, second = programs
    a, b, c = companies
    pairs = {(a, first): "eligible", (b, first): "eligible", (c, second): "incomplete"}
    store(pairs, companies=companies, programs=programs)

    # when a's profile makes it a near miss and c becomes eligible (stored rows are updated)
    store(
        {**pairs, (a, first): "ineligible", (c, second): "eligible"},
        companies=companies,
        programs=programs,
        profile_version=2,
    )

    assert (counted(first), counted(second)) == (1, 1)
    # and back
    store(pairs, companies=companies, programs=programs, profile_version=3)
    assert (counted(first), counted(second)) == (2, 1)
    assert_counts_are_live(programs)


def test_pairs_a_rescore_no_longer_keeps_are_uncounted(
    programs: list[Program], companies: list[Company]
) -> None:
    first, second = programs
    a, b, _c = companies
    store(
        {(a, first): "eligible", (b, first): "incomplete", (a, second): "eligible"},
        companies=companies,
        programs=programs,
    )

    written = store(
        {(b, first): "incomplete"}, companies=companies, programs=programs, profile_version=2
    )

    assert written.removed == 2
    assert (counted(first), counted(second)) == (1, 0)
    assert_counts_are_live(programs)


def test_clearing_a_program_and_deleting_a_company_are_counted(
    programs: list[Program], companies: list[Company]
) -> None:
    first, second = programs
    a = companies[0]
    store(
        {(company, program): "eligible" for company in companies for program in programs},
        companies=companies,
        programs=programs,
    )
    Program.objects.filter(pk=first.pk).update(status=Program.Status.CLOSED)

    services.program_matches_clear(program_id=first.pk)
    Company.objects.filter(pk=a.pk).delete()

    assert (counted(first), counted(second)) == (0, 2)
    assert_counts_are_live(programs)


def test_matches_written_through_the_orm_are_counted(
    programs: list[Program], companies: list[Company]
) -> None:
    first, _second = programs
    a, b, _c = companies
    defaults: dict[str, Any] = {
        "score": None,
        "outcomes": [],
        "rules_version": 1,
        "profile_version": 1,
        "computed_at": timezone.now(),
    }
    Match.objects.create(company=a, program=first, eligibility="eligible", rank=0, **defaults)
    Match.objects.create(
        company=b, program=first, eligibility="ineligible", rank=2, failed_gates=1, **defaults
    )
    assert counted(first) == 1

    Match.objects.filter(company=b).update(eligibility="incomplete", rank=1, failed_gates=0)
    assert counted(first) == 2
    Match.objects.filter(company=a).update(score=80)  # rank unchanged: the count too
    assert counted(first) == 2
    Match.objects.filter(company=a).delete()
    assert counted(first) == 1


def test_the_real_scorer_leaves_every_program_counted(
    demo: None, make_company: Callable[..., Company]
) -> None:
    make_company(legal_name="Moscow Retail", country="RU", sectors=("retail",), prior_pilots=2)
    make_company(legal_name="Taipei Undeclared", sectors=("retail",), partners_declared=False)
    make_company(legal_name="Taipei Alone", sectors=("retail",), partners=[])

    services.companies_score(company_ids=list(Company.objects.values_list("pk", flat=True)))

    every = list(Program.objects.all())
    assert sum(live(program) for program in every) > 0
    assert_counts_are_live(every)


def test_the_migration_counts_the_matches_already_stored(
    programs: list[Program], companies: list[Company]
) -> None:
    store(
        {(company, programs[0]): "eligible" for company in companies},
        companies=companies,
        programs=programs,
    )
    ProgramMatchCount.objects.all().delete()
    migration = importlib.import_module("matchmaker.migrations.0006_count_program_matches")

    migration.count_matches(apps, connection.schema_editor())

    assert counted(programs[0]) == 3
    assert_counts_are_live(programs)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="TRUNCATE has no trigger on SQLite (none needed)"
)
def test_truncating_the_matches_empties_the_counts(
    programs: list[Program], companies: list[Company]
) -> None:
    store(
        {(company, programs[0]): "eligible" for company in companies},
        companies=companies,
        programs=programs,
    )

    with connection.cursor() as cursor:
        # (The test's transaction still holds the new rows' deferred foreign key checks.)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {Match._meta.db_table}")

    assert not ProgramMatchCount.objects.exists()
