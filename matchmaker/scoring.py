"""Scoring companies against open programs, and storing what is worth keeping.

A scoring pass reads companies' facts and programs' compiled rules in a fixed number of queries,
evaluates every pair in memory with the engine's fast triage, builds the full explanation only
for the pairs worth keeping (eligible, incomplete, near miss), and hands them to
``matchmaker.storage`` in one write. Every pass is idempotent and version-guarded: running it
twice, out of order, or with stale inputs never leaves an older result over a newer one.
"""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from applicants.facts import profile_facts
from applicants.models import Company, Partner
from matchmaker import storage
from matchmaker.engine import (
    CompiledProgram,
    Eligibility,
    FactsRecord,
    read_facts,
)
from matchmaker.outcomes import pack
from programs.models import Program
from programs.selectors import compiled_program, is_compiled, program_with_rules

RANKS = {Eligibility.ELIGIBLE: 0, Eligibility.INCOMPLETE: 1, Eligibility.INELIGIBLE: 2}
_ALWAYS_KEPT = frozenset({Eligibility.ELIGIBLE, Eligibility.INCOMPLETE})


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    id: int
    profile_version: int
    facts: FactsRecord


@dataclass(frozen=True, slots=True)
class OpenProgram:
    id: int
    rules_version: int
    compiled: CompiledProgram


@dataclass(frozen=True, slots=True)
class PassResult:
    companies: int
    programs: int
    pairs: int
    stored: int
    removed: int
    profile_versions: dict[int, int]  # the version each company was scored at


def load_company_facts(companies: QuerySet[Company]) -> list[CompanyFacts]:
    """Facts of ``companies`` in three queries: the companies, their sectors, their partners."""
    rows = list(
        companies.order_by("pk").values_list(
            "pk",
            "profile_version",
            "country",
            "partners_declared",
            "trl",
            "has_demo",
            "employees",
            "founded_year",
            "prior_pilots",
        )
    )
    if not rows:
        return []
    ids = [row[0] for row in rows]
    sectors: dict[int, list[str]] = defaultdict(list)
    for company_id, code in Company.sectors.through.objects.filter(company_id__in=ids).values_list(
        "company_id", "sector__code"
    ):
        sectors[company_id].append(code)
    partners: dict[int, list[str]] = defaultdict(list)
    for company_id, country in Partner.objects.filter(company_id__in=ids).values_list(
        "company_id", "country"
    ):
        partners[company_id].append(country)
    loaded = []
    for pk, version, country, declared, trl, demo, employees, founded, pilots in rows:
        facts = profile_facts(
            country=country,
            sectors=sectors.get(pk, ()),
            partner_countries=partners.get(pk, ()),
            partners_declared=declared,
            trl=trl,
            has_demo=demo,
            employees=employees,
            founded_year=founded,
            prior_pilots=pilots,
        )
        loaded.append(CompanyFacts(id=pk, profile_version=version, facts=read_facts(facts)))
    return loaded


def load_open_programs(program_ids: Sequence[int] | None = None) -> list[OpenProgram]:
    """Open programs with compiled rules: one query when every program is compiled already,
    five when some must be compiled (their rules are prefetched together)."""
    programs = Program.objects.open().order_by("pk")
    if program_ids is not None:
        programs = programs.filter(pk__in=program_ids)
    found = list(programs.only("pk", "slug", "rules_version"))
    missing = [program.pk for program in found if not is_compiled(program)]
    if missing:
        prefetched = {
            program.pk: program for program in program_with_rules().filter(pk__in=missing)
        }
        found = [prefetched.get(program.pk, program) for program in found]
    return [
        OpenProgram(
            id=program.pk, rules_version=program.rules_version, compiled=compiled_program(program)
        )
        for program in found
    ]


def evaluate_pairs(
    companies: Sequence[CompanyFacts],
    programs: Sequence[OpenProgram],
    *,
    now: datetime.datetime,
) -> list[storage.MatchRow]:
    """Every company against every program, in memory; the rows worth keeping."""
    rows: list[storage.MatchRow] = []
    for program in programs:
        compiled = program.compiled
        triage = compiled.triage
        for company in companies:
            eligibility, failed = triage(company.facts)
            if eligibility not in _ALWAYS_KEPT and failed != 1:
                continue
            result = compiled.evaluate(company.facts)
            rows.append(
                storage.MatchRow(
                    company_id=company.id,
                    program_id=program.id,
                    eligibility=result.eligibility.value,
                    rank=RANKS[result.eligibility],
                    score=result.score,
                    failed_gates=failed,
                    outcomes=pack(result),
                    rules_version=program.rules_version,
                    profile_version=company.profile_version,
                    computed_at=now,
                )
            )
    return rows


def score_companies(
    companies: QuerySet[Company],
    *,
    program_ids: Sequence[int] | None = None,
    now: datetime.datetime | None = None,
) -> PassResult:
    """Scores ``companies`` against the open programs (or those of ``program_ids``) and stores
    the result: kept pairs are upserted, pairs no longer worth keeping are removed, and pairs of
    programs that are no longer open go too (when scoring against all of them)."""
    now = now or timezone.now()
    facts = load_company_facts(companies)
    programs = load_open_programs(program_ids)
    rows = evaluate_pairs(facts, programs, now=now)
    written = storage.store_matches(
        rows,
        companies={company.id: company.profile_version for company in facts},
        programs={program.id: program.rules_version for program in programs},
        only_open_programs=program_ids is None,
    )
    return PassResult(
        companies=len(facts),
        programs=len(programs),
        pairs=len(facts) * len(programs),
        stored=written.stored,
        removed=written.removed,
        profile_versions={company.id: company.profile_version for company in facts},
    )
