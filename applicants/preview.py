"""The vendor's eligibility preview: a profile's facts against every open program.

Server-side and complete without JavaScript. The live version in the browser
(``static/js/preview.js``) posts the same facts to the eligibility endpoint, which runs the same
``eligibility_report``: there is one engine, and this module only gathers programs for it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matchmaker.eligibility import CriterionVerdict, EligibilityReport, eligibility_report
from matchmaker.engine import CriterionKind, Outcome, rank_key
from programs.models import Program
from programs.rules import wording
from programs.selectors import program_with_rules


@dataclass(frozen=True, slots=True)
class ProgramPreview:
    program: Program
    report: EligibilityReport

    @property
    def open_gates(self) -> tuple[CriterionVerdict, ...]:
        """The conditions not met yet (failed or undecided), which the vendor can act on."""
        return tuple(
            verdict
            for verdict in self.report.criteria
            if verdict.kind == CriterionKind.GATE and verdict.outcome != Outcome.PASS
        )

    @property
    def gates(self) -> tuple[CriterionVerdict, ...]:
        return tuple(v for v in self.report.criteria if v.kind == CriterionKind.GATE)

    @property
    def awards(self) -> tuple[CriterionVerdict, ...]:
        return tuple(v for v in self.report.criteria if v.kind == CriterionKind.AWARD)


def eligibility_preview(*, facts: Mapping[str, Any]) -> list[ProgramPreview]:
    """Every open program's report on ``facts``, best fits first (eligible, then incomplete,
    then ineligible; higher score first; then slug).

    Queries, whatever the number of programs: 1 the open programs with their owners, 2-4 their
    criteria, groups and requirements (rules compile from these, or come from the process's
    cache), 5 the sector names the wording uses. One query when no program is open.
    """
    programs = list(program_with_rules(queryset=Program.objects.open()))
    if not programs:
        return []
    words = wording()
    previews = [
        ProgramPreview(
            program=program,
            report=eligibility_report(program=program, facts=facts, words=words),
        )
        for program in programs
    ]
    previews.sort(
        key=lambda preview: rank_key(
            (preview.report.program, (preview.report.eligibility, preview.report.score))
        )
    )
    return previews
