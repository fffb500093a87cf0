"""An application's eligibility when it was submitted, beside where the company stands now.

Now is the stored Match when it is fresh (computed from the program's current rules and the
company's current profile); otherwise the engine computes it on the spot, so staff never decide
on a stale verdict while a rescore is on its way.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from django.utils import timezone

from applicants.models import Application
from applicants.selectors import company_facts
from matchmaker.eligibility import eligibility_report
from matchmaker.engine import CriterionKind, Outcome, Wording
from matchmaker.models import Match
from matchmaker.outcomes import unpack
from programs.models import Program
from programs.selectors import compiled_program


class CriterionLine(Protocol):
    """What the page shows of a criterion: ``CriterionView`` and ``CriterionVerdict`` both fit."""

    @property
    def label(self) -> str: ...
    @property
    def kind(self) -> CriterionKind: ...
    @property
    def outcome(self) -> Outcome: ...
    @property
    def message(self) -> str: ...
    @property
    def fixes(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class Standing:
    eligibility: str | None
    score: float | None
    rules_version: int | None
    criteria: Sequence[CriterionLine]
    # submission: the snapshot taken when the vendor submitted; stored: a fresh Match;
    # computed: evaluated now because the stored Match is missing or stale.
    source: Literal["submission", "stored", "computed"]
    as_of: datetime.datetime | None
    # The snapshot's rules are older than the program's: it is worded against today's rules,
    # and criteria removed since are left out.
    rules_changed: bool = False


def submission_standing(
    application: Application, program: Program, words: Wording
) -> Standing | None:
    snapshot = application.eligibility_at_submission
    if not isinstance(snapshot, dict):
        return None
    rules_version = snapshot.get("rules_version")
    return Standing(
        eligibility=snapshot.get("eligibility"),
        score=snapshot.get("score"),
        rules_version=rules_version,
        criteria=unpack(snapshot.get("outcomes") or [], compiled_program(program).ruleset, words),
        source="submission",
        as_of=application.submitted_at,
        rules_changed=rules_version != program.rules_version,
    )


def current_standing(
    application: Application, program: Program, match: Match | None, words: Wording
) -> Standing:
    """Expects the company's sectors and partners prefetched (to compute the facts)."""
    company = application.company
    if (
        match is not None
        and match.rules_version == program.rules_version
        and match.profile_version == company.profile_version
    ):
        return Standing(
            eligibility=match.eligibility,
            score=match.score,
            rules_version=match.rules_version,
            criteria=unpack(match.outcomes, compiled_program(program).ruleset, words),
            source="stored",
            as_of=match.computed_at,
        )
    report = eligibility_report(program=program, facts=company_facts(company), words=words)
    return Standing(
        eligibility=report.eligibility.value,
        score=report.score,
        rules_version=report.rules_version,
        criteria=report.criteria,
        source="computed",
        as_of=timezone.now(),
    )
