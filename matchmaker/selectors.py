"""Reads of stored matches, worded for vendors in the active language."""

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, QuerySet
from django.utils import timezone

from applicants.models import Company
from matchmaker.changes import Standing
from matchmaker.engine import Outcome, RuleSet, Wording
from matchmaker.models import Match
from matchmaker.outcomes import CriterionView, unpack
from programs.localized import localized
from programs.models import Program
from programs.selectors import (
    compiled_program,
    is_compiled,
    next_closing,
    program_with_rules,
    program_words,
)


@dataclass(frozen=True, slots=True)
class MatchView:
    match: Match
    program: Program
    criteria: list[CriterionView]
    next_deadline: datetime.datetime | None
    # Computed from an older profile or older rules than the current ones: a rescore is on its
    # way (shown as "updating").
    is_stale: bool
    # The name of the stage that closes at ``next_deadline``.
    next_stage: str | None = None

    @property
    def gates(self) -> list[CriterionView]:
        return [criterion for criterion in self.criteria if criterion.kind == "gate"]

    @property
    def awards(self) -> list[CriterionView]:
        return [criterion for criterion in self.criteria if criterion.kind == "award"]

    @property
    def fixes(self) -> list[str]:
        return [fix for criterion in self.criteria for fix in criterion.fixes]

    @property
    def partner_countries_asked(self) -> tuple[str, ...]:
        """The countries a failed gate's fix asks a partner to be registered in ("Add a partner
        registered in Russia"), sorted; empty when no fix asks for a partner."""
        codes: set[str] = set()
        for criterion in self.gates:
            if criterion.outcome != Outcome.FAIL:
                continue
            for fix in criterion.fix_details:
                spec = fix.requirement
                if (
                    spec.fact == "partner_countries"
                    and spec.operator in _PARTNER_OPERATORS
                    and fix.outcome == Outcome.FAIL
                ):
                    values = spec.value if isinstance(spec.value, list | tuple) else [spec.value]
                    codes.update(value for value in values if isinstance(value, str))
        return tuple(sorted(codes))


# A partner requirement a vendor meets by adding a partner: contains (one country) or
# overlaps (any of a list). not_in and friends ask for the opposite.
_PARTNER_OPERATORS = frozenset({"contains", "overlaps"})


def _open_matches(company: Company) -> QuerySet[Match]:
    """The company's matches in open programs, best first."""
    return (
        Match.objects.filter(company=company, program__status=Program.Status.OPEN)
        # The program id last, so that pages of the API never overlap.
        .order_by(
            "rank", F("score").desc(nulls_last=True), localized("program__title"), "program_id"
        )
    )


def company_match_rows(company: Company, *, now: datetime.datetime) -> QuerySet[Match]:
    """The company's matches in open programs, best first, with program, owner and the program's
    next deadline and the stage it closes: one query.

    The deadline and the stage are ``Correlated`` SQL: built and compiled by the ORM they cost
    more CPU than the rest of the query, page after page of "My matches".
    """
    return (
        _open_matches(company)
        .select_related("program__owner")
        .annotate(**next_closing("program_id", now=now))
    )


def company_standings(company: Company, *, now: datetime.datetime) -> dict[int, Standing]:
    """``{program id: (eligibility, score)}`` of every row of ``company_match_rows``, in its
    order (one light query: no outcomes, no deadlines): what a page of matches is cut from, and
    what "what changed since your last visit" compares with."""
    rows = _open_matches(company).values_list("program_id", "eligibility", "score")
    return {program_id: (eligibility, score) for program_id, eligibility, score in rows}


def company_matches(
    company: Company, *, wording: Wording, now: datetime.datetime | None = None
) -> list[MatchView]:
    """The company's matches, each criterion worded against the program's current rules.

    Queries: one for the matches; four more only when some program's rules are not compiled in
    this process yet (programs, criteria, groups, requirements).
    """
    now = now or timezone.now()
    return match_views(company_match_rows(company, now=now), company=company, wording=wording)


def _translated_once(wording: Wording) -> Wording:
    """``wording`` remembering each phrase and name it has translated, for one call: a page of a
    hundred matches asks for the same few phrases, fact labels and country names thousands of
    times, and gettext is not free. The active language cannot change during the call."""
    return Wording(
        gettext=functools.cache(wording.gettext),
        ngettext=functools.cache(wording.ngettext),
        country_name=functools.cache(wording.country_name),
        sector_name=functools.cache(wording.sector_name),
    )


def _worded(match: Match, ruleset: RuleSet, wording: Wording) -> list[CriterionView]:
    memo, recording = program_words(match.program, wording)
    return unpack(match.outcomes, ruleset, recording, memo=memo)


def match_views(matches: Iterable[Match], *, company: Company, wording: Wording) -> list[MatchView]:
    """Words rows of ``company_match_rows`` (all of them, or a page): no query when every
    program's rules are compiled in this process, four otherwise (programs, criteria, groups,
    requirements of the uncompiled ones, together).

    Each program's words are kept for the process per rules version and language: a criterion
    reads the same for every company, so each is worded once, not once per match and page.
    """
    wording = _translated_once(wording)
    matches = list(matches)
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
                criteria=_worded(match, ruleset, wording),
                next_deadline=match.next_deadline,  # type: ignore[attr-defined]
                is_stale=(
                    match.rules_version != program.rules_version
                    or match.profile_version != company.profile_version
                ),
                next_stage=match.next_stage,  # type: ignore[attr-defined]
            )
        )
    return views


def programs_by_id(ids: Iterable[int]) -> list[Program]:
    """Programs by id with their titles and slugs, by title (one query): the ones a member saw
    last time that are no longer among the matches."""
    return list(
        Program.objects.filter(pk__in=list(ids)).only("pk", "slug", "title").order_by("title")
    )
