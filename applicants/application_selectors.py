"""Reads of applications for their vendors: lists, the timeline, the verdict at submission.

Each selector carries its own joins; none of them shows a vendor the program staff's internal
notes (``ApplicationEvent.Kind.NOTE``).
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from applicants.models import Application, ApplicationEvent, Company, User
from applicants.selectors import companies_for
from matchmaker.engine import Wording
from matchmaker.outcomes import CriterionView, unpack
from programs.models import Program, Question, Stage
from programs.selectors import compiled_program, is_compiled, program_with_rules

Kind = ApplicationEvent.Kind

# What the vendor's side does; everything else on a timeline is the program staff's.
VENDOR_EVENTS = frozenset({Kind.CREATED, Kind.SUBMITTED, Kind.WITHDRAWN})


def _first_stage_closes() -> Subquery:
    first_stage = Stage.objects.filter(program=OuterRef("program")).order_by("order")
    return Subquery(first_stage.values("closes_at")[:1])


def company_applications(company: Company) -> QuerySet[Application]:
    """A company's applications, most recently changed first, with program, owner agency,
    current stage and ``deadline``, the closing of the program's application stage (one
    query)."""
    return (
        Application.objects.filter(company=company)
        .select_related("program__owner", "stage")
        .annotate(deadline=_first_stage_closes())
        .order_by("-updated_at", "-pk")
    )


def applications_for(user: User) -> QuerySet[Application]:
    """Every application of every company ``user`` belongs to: the only way the API reaches
    one. With program, owner agency, stage and ``deadline`` (see ``company_applications``) in
    the query, and the programs' questions prefetched (two queries)."""
    return (
        Application.objects.filter(company__in=companies_for(user))
        .select_related("program__owner", "stage")
        .annotate(deadline=_first_stage_closes())
        .prefetch_related(
            Prefetch("program__questions", queryset=Question.objects.order_by("order", "pk"))
        )
        .order_by("-updated_at", "-pk")
    )


def program_questions(program: Program) -> list[Question]:
    return list(Question.objects.filter(program=program).order_by("order", "pk"))


def program_stages(program: Program) -> list[Stage]:
    return list(Stage.objects.filter(program=program).order_by("order"))


def compile_programs(applications: Iterable[Application]) -> None:
    """Makes sure the rules of every program of ``applications`` are compiled in this process:
    no query when they are, four otherwise (programs, criteria, groups, requirements of all the
    uncompiled ones together), instead of three per program."""
    programs = {application.program.pk: application.program for application in applications}
    missing = [pk for pk, program in programs.items() if not is_compiled(program)]
    if missing:
        for program in program_with_rules().filter(pk__in=missing):
            compiled_program(program)


# --- the window of the application stage ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """The application stage's window as a vendor sees it at ``now``."""

    stage: Stage | None
    state: str  # "none" (no stage), "upcoming", "open", "closed"

    @property
    def opens_at(self) -> datetime.datetime | None:
        return self.stage.opens_at if self.stage else None

    @property
    def closes_at(self) -> datetime.datetime | None:
        return self.stage.closes_at if self.stage else None


def application_window(stages: Sequence[Stage], *, now: datetime.datetime) -> Window:
    """``stages`` in order (``program_stages``); the first is where applications go."""
    if not stages:
        return Window(stage=None, state="none")
    stage = stages[0]
    if stage.opens_at is not None and now < stage.opens_at:
        return Window(stage=stage, state="upcoming")
    if stage.closes_at is not None and now > stage.closes_at:
        return Window(stage=stage, state="closed")
    return Window(stage=stage, state="open")


# --- the timeline --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    kind: str
    title: str
    who: str | Promise
    when: datetime.datetime
    note: str
    by_staff: bool


def _title(event: ApplicationEvent) -> str:
    from_stage = event.from_stage.name if event.from_stage else ""
    to_stage = event.to_stage.name if event.to_stage else ""
    match event.kind:
        case Kind.CREATED if event.from_status == Application.Status.WITHDRAWN:
            return _("Draft started again")
        case Kind.CREATED:
            return _("Draft started")
        case Kind.SUBMITTED:
            return _("Submitted to %(stage)s") % {"stage": to_stage}
        case Kind.ADVANCED:
            return _("Moved from %(from)s to %(to)s") % {"from": from_stage, "to": to_stage}
        case Kind.COMPLETED:
            return _("Completed the program, after its last stage: %(stage)s") % {
                "stage": from_stage
            }
        case Kind.DECLINED:
            return _("Declined at %(stage)s") % {"stage": from_stage}
        case Kind.WITHDRAWN:
            return _("Withdrawn")
    return str(event.get_kind_display())


def vendor_timeline(application: Application) -> list[TimelineEntry]:
    """The application's history as its vendor sees it, oldest first (one query).

    Internal staff notes (NOTE events) are left out here, in the query: they never reach a
    vendor's page or the API. Staff actions name no one: the vendor sees "Program staff".
    """
    events = (
        ApplicationEvent.objects.filter(application=application)
        .exclude(kind=Kind.NOTE)  # INTERNAL: staff notes are not the vendor's to read
        .select_related("actor", "from_stage", "to_stage")
        .order_by("created_at", "pk")
    )
    entries = []
    for event in events:
        by_staff = event.kind not in VENDOR_EVENTS
        who: str | Promise
        if by_staff:
            who = _("Program staff")
        elif event.actor is not None:
            who = event.actor.get_full_name() or event.actor.email
        else:
            who = _("A former member of your team")
        entries.append(
            TimelineEntry(
                kind=event.kind,
                title=_title(event),
                who=who,
                when=event.created_at,
                note=event.note,
                by_staff=by_staff,
            )
        )
    return entries


# --- the verdict kept at submission --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubmissionVerdict:
    eligibility: str
    score: float | None
    rules_version: int
    profile_version: int
    criteria: list[CriterionView]
    # The program's rules changed since: the criteria are worded against today's rules, and
    # those removed since are left out.
    rules_changed: bool


def submission_verdict(application: Application, *, words: Wording) -> SubmissionVerdict | None:
    """``eligibility_at_submission`` worded in the active language; None before submission.

    No query when the program's rules are compiled in this process (``compile_programs``),
    three otherwise.
    """
    snapshot: dict[str, Any] | None = application.eligibility_at_submission
    if not snapshot:
        return None
    program = application.program
    ruleset = compiled_program(program).ruleset
    return SubmissionVerdict(
        eligibility=snapshot["eligibility"],
        score=snapshot["score"],
        rules_version=snapshot["rules_version"],
        profile_version=snapshot["profile_version"],
        criteria=unpack(snapshot["outcomes"], ruleset, words),
        rules_changed=snapshot["rules_version"] != program.rules_version,
    )
