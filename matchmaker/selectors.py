"""Reads of stored matches, worded for vendors in the active language."""

import datetime
from dataclasses import dataclass

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from applicants.models import Company
from matchmaker.engine import Wording
from matchmaker.models import Match
from matchmaker.outcomes import CriterionView, unpack
from programs.models import Program, Stage
from programs.selectors import compiled_program, is_compiled, program_with_rules


@dataclass(frozen=True, slots=True)
class MatchView:
    match: Match
    program: Program
    criteria: list[CriterionView]
    next_deadline: datetime.datetime | None
    # Computed from an older profile or older rules than the current ones: a rescore is on its
    # way (shown as "updating").
    is_stale: bool

    @property
    def gates(self) -> list[CriterionView]:
        return [criterion for criterion in self.criteria if criterion.kind == "gate"]

    @property
    def awards(self) -> list[CriterionView]:
        return [criterion for criterion in self.criteria if criterion.kind == "award"]

    @property
    def fixes(self) -> list[str]:
        return [fix for criterion in self.criteria for fix in criterion.fixes]


def company_match_rows(company: Company, *, now: datetime.datetime) -> QuerySet[Match]:
    """The company's matches in open programs, best first, with program, owner and the program's
    next deadline: one query."""
    next_closing = Stage.objects.filter(program=OuterRef("program"), closes_at__gt=now).order_by(
        "closes_at"
    )
    return (
        Match.objects.filter(company=company, program__status=Program.Status.OPEN)
        .select_related("program__owner")
        .annotate(next_deadline=Subquery(next_closing.values("closes_at")[:1]))
        .order_by("rank", F("score").desc(nulls_last=True), "program__title")
    )


def company_matches(
    company: Company, *, wording: Wording, now: datetime.datetime | None = None
) -> list[MatchView]:
    """The company's matches, each criterion worded against the program's current rules.

    Queries: one for the matches; four more only when some program's rules are not compiled in
    this process yet (programs, criteria, groups, requirements).
    """
    now = now or timezone.now()
    matches = list(company_match_rows(company, now=now))
    uncompiled = [match.program_id for match in matches if not is_compiled(match.program)]
    with_rules = (
        {program.pk: program for program in program_with_rules().filter(pk__in=uncompiled)}
        if uncompiled
        else {}
    )
    views = []
    for match in matches:
        program = match.program
        ruleset = compiled_program(with_rules.get(program.pk, program)).ruleset
        views.append(
            MatchView(
                match=match,
                program=program,
                criteria=unpack(match.outcomes, ruleset, wording),
                next_deadline=match.next_deadline,  # type: ignore[attr-defined]
                is_stale=(
                    match.rules_version != program.rules_version
                    or match.profile_version != company.profile_version
                ),
            )
        )
    return views
