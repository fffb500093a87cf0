"""Deadline reminders and "the deadline moved" mails, written to the outbox.

Drafts are submitted to a program's application stage (its first), so that stage's deadline is
the one vendors are reminded of: to finish a draft, or to apply while their company is matched
eligible. Later stages' deadlines concern the program's staff and the applicants they select,
who hear of them through the decisions.

Reminders are idempotent by construction: each mail's outbox key names the recipient, the
stage, the deadline and the offset, so a second tick, a second beat process or a retried task
finds the row there and sends nothing; a moved deadline is a new key, so it is reminded afresh.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone, translation

from applicants.application_checks import answer_reasons, gate_reasons, questions_by_key
from applicants.models import Application, Company, CompanyMembership, Document, Follow, User
from matchmaker.engine import ProgramResult
from matchmaker.models import EmailOptOut, Match, Notification
from matchmaker.outbox import enqueue, notification_key
from matchmaker.scoring import load_company_facts
from programs.models import MAX_REMINDER_DAYS, Program, Stage
from programs.reminders.timing import days_left, deadline_text, due_offset, reader_zone
from programs.rules import sector_names, wording
from programs.selectors import compiled_program

Kind = Notification.Kind


@dataclass
class ReminderReport:
    """What one tick did: mails queued (about drafts, or to followers only), mails a previous
    tick had queued already, and recipients who switched reminders off."""

    stages: int = 0
    drafts: int = 0
    followers: int = 0
    already_sent: int = 0
    unsubscribed: int = 0

    @property
    def queued(self) -> int:
        return self.drafts + self.followers

    def as_dict(self) -> dict[str, int]:
        return {
            "stages": self.stages,
            "queued": self.queued,
            "drafts": self.drafts,
            "followers": self.followers,
            "already_sent": self.already_sent,
            "unsubscribed": self.unsubscribed,
        }


@dataclass(frozen=True, slots=True)
class Missing:
    """One thing that stops a draft from being submitted, with the fixes for a gate."""

    message: str
    fixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DraftNote:
    company: str
    link: str
    missing: tuple[Missing, ...]


def _link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _draft_link(application: Application) -> str:
    return _link(reverse("companies:application", args=[application.company_id, application.pk]))


def _reachable(memberships: QuerySet[CompanyMembership]) -> QuerySet[CompanyMembership]:
    """Members who can read mail from us: active, with a verified address."""
    return memberships.filter(user__is_active=True, user__email_verified_at__isnull=False)


def _opted_out(user_ids: Iterable[int], kind: str) -> set[int]:
    return set(
        EmailOptOut.objects.filter(kind=kind, user_id__in=list(user_ids)).values_list(
            "user_id", flat=True
        )
    )


def application_stage_q() -> Q:
    """Stages that are their program's application stage (the lowest order)."""
    first = Stage.objects.filter(program=OuterRef("program")).order_by("order").values("order")
    return Q(order=Subquery(first[:1]))


def is_application_stage(stage: Stage) -> bool:
    return not Stage.objects.filter(program_id=stage.program_id, order__lt=stage.order).exists()


# --- what a draft still lacks --------------------------------------------------------------------


class DraftChecks:
    """What the drafts of one program still lack, in the reader's language.

    Reuses the checks ``application_submit`` runs (``applicants.application_checks``): every
    required question without a valid answer, every gate the company's profile does not pass
    yet, with its fixes. Loads what they need for all the drafts at once: the questions, the
    companies' facts and documents; the rules are compiled once per process.
    """

    def __init__(self, program: Program, drafts: Sequence[Application], sectors: dict[str, str]):
        company_ids = sorted({draft.company_id for draft in drafts})
        self.compiled = compiled_program(program)
        self.questions = questions_by_key(program.pk)
        self.sectors = sectors
        self.documents: dict[int, set[int]] = defaultdict(set)
        for company_id, document_id in Document.objects.filter(
            company_id__in=company_ids
        ).values_list("company_id", "pk"):
            self.documents[company_id].add(document_id)
        self.results: dict[int, ProgramResult] = {
            facts.id: self.compiled.evaluate(facts.facts)
            for facts in load_company_facts(Company.objects.filter(pk__in=company_ids))
        }
        self._worded: dict[tuple[int, str], tuple[Missing, ...]] = {}

    def missing(self, draft: Application) -> tuple[Missing, ...]:
        """In the active language (cached per language)."""
        key = (draft.pk, translation.get_language() or settings.LANGUAGE_CODE)
        if key not in self._worded:
            items: list[Missing] = []
            result = self.results.get(draft.company_id)
            if result is not None:
                words = wording(self.sectors)
                items += [
                    Missing(reason.message, reason.fixes)
                    for reason in gate_reasons(result, self.compiled.ruleset, words)
                ]
            _answers, unanswered = answer_reasons(
                draft.answers, self.questions, self.documents[draft.company_id]
            )
            items += [Missing(reason.message) for reason in unanswered]
            self._worded[key] = tuple(items)
        return self._worded[key]


# --- reminders -----------------------------------------------------------------------------------


@dataclass
class _Recipient:
    user: User
    drafts: list[Application] = field(default_factory=list)
    eligible: list[Company] = field(default_factory=list)


def due_stages(now: datetime.datetime) -> list[tuple[Stage, int]]:
    """Application stages of open programs with a reminder due at ``now``, with its offset."""
    horizon = now + datetime.timedelta(days=MAX_REMINDER_DAYS + 1)
    stages = (
        Stage.objects.filter(
            application_stage_q(),
            program__status=Program.Status.OPEN,
            closes_at__gt=now,
            closes_at__lte=horizon,
        )
        .select_related("program__owner")
        .order_by("closes_at", "pk")
    )
    due = []
    for stage in stages:
        assert stage.closes_at is not None  # by the filter
        program = stage.program
        offset = due_offset(stage.closes_at, program.reminder_offsets, program.time_zone, now)
        if offset is not None:
            due.append((stage, offset))
    return due


def _drafters(
    program: Program, *, exclude: User | None = None
) -> tuple[list[Application], dict[int, _Recipient]]:
    """The program's drafts (a withdrawn draft is no draft) and every reachable member of
    their companies, with the drafts each of them shares."""
    drafts = list(
        Application.objects.filter(program=program, status=Application.Status.DRAFT)
        .select_related("company")
        .order_by("company__legal_name", "pk")
    )
    by_company: dict[int, list[Application]] = defaultdict(list)
    for draft in drafts:
        by_company[draft.company_id].append(draft)
    members = _reachable(CompanyMembership.objects.filter(company_id__in=list(by_company)))
    if exclude is not None:
        members = members.exclude(user=exclude)
    recipients: dict[int, _Recipient] = {}
    for membership in members.select_related("user").order_by("user_id", "company_id"):
        entry = recipients.setdefault(membership.user_id, _Recipient(membership.user))
        entry.drafts += by_company[membership.company_id]
    return drafts, recipients


def _recipients(program: Program) -> tuple[list[Application], dict[int, _Recipient]]:
    """The program's drafts, and who hears of them or of an eligible company's chance:

    (a) every member of a company with a draft;
    (b) every member who follows the program, of a company matched eligible that has neither
        applied nor a draft.
    """
    drafts, recipients = _drafters(program)
    applied_or_drafting = Application.objects.filter(
        Q(submitted_at__isnull=False) | Q(status=Application.Status.DRAFT),
        company=OuterRef("company"),
        program=program,
    )
    followers = _reachable(
        CompanyMembership.objects.filter(
            Exists(Follow.objects.filter(user=OuterRef("user"), program=program)),
            Exists(
                Match.objects.filter(
                    company=OuterRef("company"),
                    program=program,
                    eligibility=Match.Eligibility.ELIGIBLE,
                )
            ),
            ~Exists(applied_or_drafting),
        )
    )
    for membership in followers.select_related("user", "company").order_by(
        "user_id", "company__legal_name"
    ):
        entry = recipients.setdefault(membership.user_id, _Recipient(membership.user))
        entry.eligible.append(membership.company)
    return drafts, recipients


def _remind(
    stage: Stage,
    offset: int,
    now: datetime.datetime,
    sectors: dict[str, str],
    report: ReminderReport,
) -> None:
    program = stage.program
    deadline = stage.closes_at
    assert deadline is not None  # a due stage has a deadline
    drafts, recipients = _recipients(program)
    if not recipients:
        return
    checks = DraftChecks(program, drafts, sectors) if drafts else None
    opted_out = _opted_out(recipients, Kind.DEADLINE_REMINDER)
    zone = program.time_zone
    left = days_left(deadline, zone, now)
    for user_id, entry in recipients.items():
        if user_id in opted_out:
            report.unsubscribed += 1
            continue
        user = entry.user
        with translation.override(user.language):
            notes = [
                DraftNote(
                    company=draft.company.legal_name,
                    link=_draft_link(draft),
                    missing=checks.missing(draft) if checks else (),
                )
                for draft in entry.drafts
            ]
            when = deadline_text(deadline, zone, reader_zone(user.time_zone))
        notification = enqueue(
            kind=Kind.DEADLINE_REMINDER,
            key=notification_key(Kind.DEADLINE_REMINDER, user, stage, deadline, offset),
            template="deadline-reminder",
            context={
                "program": program,
                "agency": program.owner,
                "stage": stage,
                "deadline": when,
                "days_left": left,
                "drafts": notes,
                "eligible": [company.legal_name for company in entry.eligible],
                "program_link": _link(program.get_absolute_url()),
            },
            recipient=user,
        )
        if notification is None:
            report.already_sent += 1
        elif entry.drafts:
            report.drafts += 1
        else:
            report.followers += 1


def send_reminders(now: datetime.datetime | None = None) -> ReminderReport:
    """One tick: queues the reminders due at ``now`` and not queued before. Safe to run again,
    and from two processes at once (the outbox's unique key decides)."""
    now = now or timezone.now()
    report = ReminderReport()
    due = due_stages(now)
    report.stages = len(due)
    if due:
        sectors = sector_names()
        for stage, offset in due:
            _remind(stage, offset, now, sectors, report)
    return report


# --- a moved deadline ----------------------------------------------------------------------------


def notify_deadline_changed(
    stage: Stage, old_closes_at: datetime.datetime | None, actor: User | None
) -> int:
    """Mails every member of a company with a draft in the stage's program that the
    application deadline moved, old and new in the program's and the reader's time zone.

    Call it inside the transaction that saved the stage: a rollback then mails nobody. Only the
    application stage concerns drafts; for another stage, or when nothing moved, nobody is
    mailed. The actor (staff) is not mailed about their own change. Returns the mails queued.
    """
    new = stage.closes_at
    if new == old_closes_at or not is_application_stage(stage):
        return 0
    program = Program.objects.select_related("owner").get(pk=stage.program_id)
    _drafts, recipients = _drafters(program, exclude=actor)
    zone = program.time_zone
    queued = 0
    for entry in recipients.values():
        user = entry.user
        with translation.override(user.language):
            reader = reader_zone(user.time_zone)
            context = {
                "program": program,
                "agency": program.owner,
                "stage": stage,
                "old": deadline_text(old_closes_at, zone, reader) if old_closes_at else None,
                "new": deadline_text(new, zone, reader) if new else None,
                "later": bool(old_closes_at and new and new > old_closes_at),
                "drafts": [
                    DraftNote(company=draft.company.legal_name, link=_draft_link(draft), missing=())
                    for draft in entry.drafts
                ],
                "program_link": _link(program.get_absolute_url()),
            }
        notification = enqueue(
            kind=Kind.DEADLINE_CHANGED,
            # The stage's updated_at tells this move from an earlier one between the same dates.
            key=notification_key(
                Kind.DEADLINE_CHANGED,
                user,
                stage,
                stage.updated_at,
                old_closes_at or "none",
                new or "none",
            ),
            template="deadline-changed",
            context=context,
            recipient=user,
        )
        queued += notification is not None
    return queued


__all__ = [
    "DraftChecks",
    "ReminderReport",
    "application_stage_q",
    "due_stages",
    "notify_deadline_changed",
    "send_reminders",
]
