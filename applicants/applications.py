"""Applications: a company's way through a program, from a draft to a decision.

The one place that changes an ``Application`` or records its history (``ApplicationEvent``).
Vendors start, answer, submit and withdraw; each of those needs a member of the company whose
email address is verified (unverified accounts cannot apply, DESIGN §12). Program staff advance,
decline and add notes: the staff workspace checks their tenancy (``programs.tenancy``) before it
calls these, which check only the application's state.

Transitions are conditional updates on the state the caller saw (``filter(pk=..., status=...,
stage=...).update(...)`` and a check of the count): two staff members clicking "advance" at
once, or one clicking twice on a stale page, move an application once. The instance passed in
stands for what the caller looked at and is never changed; the one returned is read afresh.

Mails go to the company's members, each in their own language, once the transaction commits.
``base_url`` (scheme and host), when given, adds a link to the application to them.
"""

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.application_checks import (
    NOTE_MAX,
    Reason,
    SubmissionRefusedError,
    answer_reasons,
    application_stage,
    clean_answers,
    deadline_text,
    document_ids,
    gate_reasons,
    questions_by_key,
    status_name,
    window_reasons,
)
from applicants.models import Application, ApplicationEvent, Company, CompanyMembership, User
from matchmaker.engine import Eligibility
from matchmaker.models import Notification
from matchmaker.outbox import enqueue, notification_key
from matchmaker.outcomes import pack
from matchmaker.scoring import load_company_facts
from programs.audit import record_update
from programs.models import Program, Stage
from programs.rules import wording
from programs.selectors import compiled_program

__all__ = [
    "NOTE_MAX",
    "Reason",
    "SubmissionRefusedError",
    "application_add_note",
    "application_advance",
    "application_decline",
    "application_get_or_start",
    "application_save_answers",
    "application_start",
    "application_submit",
    "application_withdraw",
    "deadline_text",
]

Status = Application.Status
Kind = ApplicationEvent.Kind


# --- who may act ---------------------------------------------------------------------------------


def _require_applicant(user: User, company_id: int) -> None:
    """A verified member of the company, or PermissionDenied."""
    if not getattr(user, "is_verified", False):
        raise PermissionDenied(
            _(
                "Verify your email address before applying: open the link we sent you, or ask "
                "for a new one on your account page."
            )
        )
    if not CompanyMembership.objects.filter(user=user, company_id=company_id).exists():
        raise PermissionDenied


# --- mail ----------------------------------------------------------------------------------------


def _mail_members(
    application: Application,
    event: str,
    context: dict[str, Any],
    *,
    recorded: ApplicationEvent,
    base_url: str | None,
) -> None:
    """``templates/emails/<event>-*`` to every member of the company, each in their own
    language, through the outbox: stored in this transaction, sent once it commits (a
    rolled-back transition mails nobody). Each mail is keyed by the transition's ``recorded``
    event and its member."""
    link = None
    if base_url:
        link = base_url.rstrip("/") + reverse(
            "companies:application", args=[application.company_id, application.pk]
        )
    kind = Notification.Kind(event)
    members = User.objects.filter(company_memberships__company_id=application.company_id)
    for member in members.order_by("pk"):
        enqueue(
            kind=kind,
            key=notification_key(kind, member, recorded),
            template=event,
            context={**context, "application": application, "link": link},
            recipient=member,
        )


# --- vendor actions ------------------------------------------------------------------------------


def _record(
    application: Application,
    kind: str,
    *,
    actor: User | None,
    from_status: str = "",
    to_status: str = "",
    from_stage: Stage | None = None,
    to_stage: Stage | None = None,
    note: str = "",
) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        from_stage=from_stage,
        to_stage=to_stage,
        note=note,
    )


def _reloaded(application: Application) -> Application:
    return Application.objects.select_related("program__owner", "stage", "company").get(
        pk=application.pk
    )


def _check_open_for_new_drafts(program: Program, now: datetime.datetime) -> None:
    """Refuses a new draft that could never be submitted: the program is not open, or its
    application stage has closed. A draft before the stage opens is fine: vendors prepare."""
    if program.status != Program.Status.OPEN:
        raise ValidationError(
            _("%(program)s is not taking applications.") % {"program": program.title},
            code="closed",
        )
    stage = application_stage(program)
    if stage is not None and stage.closes_at is not None and now > stage.closes_at:
        raise ValidationError(
            _("Applications to %(program)s closed on %(when)s.")
            % {"program": program.title, "when": deadline_text(stage.closes_at, program.time_zone)},
            code="closed",
        )


def application_get_or_start(
    *, company: Company, user: User, program: Program, now: datetime.datetime | None = None
) -> tuple[Application, bool]:
    """``application_start``, also saying whether the draft is new (the API answers 201 for a
    new one, 200 for the existing one)."""
    now = now or timezone.now()
    _require_applicant(user, company.pk)
    existing = Application.objects.filter(company=company, program=program).first()
    if existing is not None:
        if existing.status == Status.WITHDRAWN and existing.submitted_at is None:
            return _restart(existing, user=user, program=program, now=now), True
        return existing, False
    _check_open_for_new_drafts(program, now)
    application = Application(company=company, program=program, created_by=user)
    application.full_clean(validate_constraints=False)  # the constraint is the database's below
    try:
        with transaction.atomic():
            application.save()
            _record(application, Kind.CREATED, actor=user, to_status=Status.DRAFT)
    except IntegrityError:
        # Two clicks raced past the lookup above; the database kept the other one.
        return Application.objects.get(company=company, program=program), False
    return application, True


def _restart(
    application: Application, *, user: User, program: Program, now: datetime.datetime
) -> Application:
    """A draft the vendor withdrew without submitting becomes a draft again: nobody at the
    program saw it, so starting over is the vendor's own business."""
    _check_open_for_new_drafts(program, now)
    with transaction.atomic():
        restarted = Application.objects.filter(
            pk=application.pk, status=Status.WITHDRAWN, submitted_at__isnull=True
        ).update(status=Status.DRAFT, updated_at=timezone.now())
        if restarted:
            _record(
                application,
                Kind.CREATED,
                actor=user,
                from_status=Status.WITHDRAWN,
                to_status=Status.DRAFT,
            )
    return Application.objects.get(pk=application.pk)


def application_start(
    *, company: Company, user: User, program: Program, now: datetime.datetime | None = None
) -> Application:
    """A draft application of ``company`` to an open ``program``; one per company and program.

    Starting again returns the existing application, whatever its state, except that a draft
    withdrawn before it was submitted becomes a draft again. A new draft is refused when the
    program is not open or its application stage has closed. Records CREATED.
    """
    application, _created = application_get_or_start(
        company=company, user=user, program=program, now=now
    )
    return application


def application_save_answers(
    *, application: Application, user: User, answers: Mapping[str, Any]
) -> Application:
    """Merges ``answers`` (question id → answer) into a draft's answers; null or blank clears
    one. Each is checked against its question: short text up to 300 characters, long text up
    to 10,000, a number, one of a choice question's options, the id of one of the company's
    documents for a file question. Unknown question ids are refused; every bad answer is named
    in one ValidationError keyed by question id, and then nothing is saved.

    Drafts only; required questions may stay empty until submission. Called on every autosave,
    so it records no event.
    """
    _require_applicant(user, application.company_id)
    if not isinstance(answers, Mapping):
        raise ValidationError(_("Give the answers as an object of question ids and answers."))
    cleaned = clean_answers(
        answers, questions_by_key(application.program_id), document_ids(application.company_id)
    )
    with transaction.atomic():
        current = Application.objects.select_for_update().get(pk=application.pk)
        if current.status != Status.DRAFT:
            raise ValidationError(
                _("This application is %(status)s: its answers can no longer change.")
                % {"status": status_name(current.status)},
                code="not_draft",
            )
        merged = dict(current.answers)
        for key, value in cleaned.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        current.answers = merged
        # Each answer was validated above against its question; the rest of the row is as read.
        current.save(update_fields=["answers", "updated_at"])
    return current


def application_submit(
    *,
    application: Application,
    user: User,
    now: datetime.datetime | None = None,
    base_url: str | None = None,
) -> Application:
    """Submits a draft to the program's application stage (its first).

    Checks, all at once, against the state of things now rather than when the draft began:
    the program is open and ``now`` is inside the application stage's window; every gate of the
    program's current rules passes on the company's current profile; every required question
    has a valid answer. Any failure raises ``SubmissionRefusedError`` carrying every reason:
    each failed or undecided gate with its fixes, the passed deadline in the program's time
    zone, each missing or invalid answer. Nothing changes then.

    On success: status submitted, the stage set, ``submitted_at``, the engine's verdict kept in
    ``eligibility_at_submission``, a SUBMITTED event, and a receipt mailed to the company's
    members. Unverified users get PermissionDenied.
    """
    now = now or timezone.now()
    _require_applicant(user, application.company_id)
    current = Application.objects.get(pk=application.pk)
    if current.status != Status.DRAFT:
        raise SubmissionRefusedError(
            [
                Reason(
                    "status",
                    _("This application is already %(status)s.")
                    % {"status": status_name(current.status)},
                )
            ]
        )
    program = Program.objects.select_related("owner").get(pk=current.program_id)
    stage = application_stage(program)
    reasons = window_reasons(program, stage, now)

    compiled = compiled_program(program)
    (facts,) = load_company_facts(Company.objects.filter(pk=current.company_id))
    result = compiled.evaluate(facts.facts)
    reasons += gate_reasons(result, compiled.ruleset, wording())

    answers, unanswered = answer_reasons(
        current.answers, questions_by_key(program.pk), document_ids(current.company_id)
    )
    reasons += unanswered
    if reasons:
        raise SubmissionRefusedError(reasons)
    assert stage is not None and result.eligibility is Eligibility.ELIGIBLE  # by the checks

    snapshot = {
        "eligibility": result.eligibility.value,
        "score": result.score,
        "rules_version": program.rules_version,
        "profile_version": facts.profile_version,
        "outcomes": pack(result),
    }
    with transaction.atomic():
        submitted = Application.objects.filter(pk=current.pk, status=Status.DRAFT).update(
            status=Status.SUBMITTED,
            stage=stage,
            answers=answers,
            eligibility_at_submission=snapshot,
            submitted_at=now,
            updated_at=timezone.now(),
        )
        if not submitted:
            # A colleague submitted or withdrew it between our read and this update.
            raise SubmissionRefusedError(
                [Reason("status", _("This application was submitted or withdrawn meanwhile."))]
            )
        recorded = _record(
            current,
            Kind.SUBMITTED,
            actor=user,
            from_status=Status.DRAFT,
            to_status=Status.SUBMITTED,
            to_stage=stage,
        )
        fresh = _reloaded(current)
        record_update(
            fresh, {"status": (Status.DRAFT, Status.SUBMITTED), "stage": (None, stage)}, actor=user
        )
        _mail_members(
            fresh,
            "application-submitted",
            {"program": program, "stage": stage, "submitted_by": user},
            recorded=recorded,
            base_url=base_url,
        )
    return fresh


def application_withdraw(*, application: Application, user: User, note: str = "") -> Application:
    """The vendor withdraws a draft or a submitted application; records WITHDRAWN with the
    vendor's note. A withdrawn submission stays withdrawn; a withdrawn draft can be started
    again."""
    _require_applicant(user, application.company_id)
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("Keep the note to 5,000 characters.")})
    with transaction.atomic():
        current = Application.objects.select_for_update().get(pk=application.pk)
        withdrawn = Application.objects.filter(
            pk=current.pk, status__in=[Status.DRAFT, Status.SUBMITTED]
        ).update(status=Status.WITHDRAWN, updated_at=timezone.now())
        if not withdrawn:
            raise ValidationError(
                _("This application is %(status)s: it can no longer be withdrawn.")
                % {"status": status_name(current.status)},
                code="status",
            )
        _record(
            current,
            Kind.WITHDRAWN,
            actor=user,
            from_status=current.status,
            to_status=Status.WITHDRAWN,
            from_stage=current.stage,
            to_stage=current.stage,
            note=note,
        )
        # A draft withdrawn was never the staff's to see: record_update leaves it out.
        record_update(current, {"status": (current.status, Status.WITHDRAWN)}, actor=user)
    return _reloaded(current)


# --- staff actions -------------------------------------------------------------------------------
#
# The notes given to advance and decline are shown to the vendor on their timeline and in the
# mail: they explain a decision. Internal remarks go through ``application_add_note``, which the
# vendor never sees.


def _stale() -> ValidationError:
    return ValidationError(
        _(
            "This application changed since you opened it: someone may have moved or decided "
            "it. Reload the page to see where it stands."
        ),
        code="stale",
    )


def _require_submitted(application: Application, message: str) -> int:
    """The id of the stage a submitted application is at; ``message`` (with ``%(status)s``)
    as a ValidationError for any other."""
    if application.status != Status.SUBMITTED or application.stage_id is None:
        raise ValidationError(message % {"status": status_name(application.status)}, code="status")
    return application.stage_id


def _clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("Keep the note to 5,000 characters.")})
    return note


def application_advance(
    *,
    application: Application,
    actor: User,
    note: str = "",
    base_url: str | None = None,
) -> Application:
    """Moves a submitted application from the stage it is at (as ``application`` shows it) to
    the program's next stage by order; from the last stage, marks it completed. Records
    ADVANCED (or COMPLETED) with both stages, the actor and the note (shown to the vendor), and
    mails the company's members.

    Refused when the application is not submitted, when it moved since ``application`` was
    read (the update is conditional on its stage and status), or when the next stage has a
    ``max_participants`` cap that is reached: every application that got to that stage or
    beyond counts, whatever became of it later, because the cap says how many go through.
    """
    stage_id = _require_submitted(
        application,
        _("Only a submitted application can move to the next stage; this one is %(status)s."),
    )
    note = _clean_note(note)
    now = timezone.now()
    current_stage = Stage.objects.get(pk=stage_id)
    next_stage = (
        Stage.objects.filter(program_id=application.program_id, order__gt=current_stage.order)
        .order_by("order")
        .first()
    )
    expected = Application.objects.filter(
        pk=application.pk, stage_id=stage_id, status=Status.SUBMITTED
    )
    with transaction.atomic():
        if next_stage is None:
            moved = expected.update(status=Status.COMPLETED, decided_at=now, updated_at=now)
            kind, to_status, to_stage = Kind.COMPLETED, Status.COMPLETED, current_stage
        else:
            if next_stage.max_participants is not None:
                # Locking the stage makes advances into it take turns, so two at once cannot
                # both take its last place.
                Stage.objects.select_for_update().filter(pk=next_stage.pk).first()
                taken = (
                    Application.objects.filter(
                        program_id=application.program_id, stage__order__gte=next_stage.order
                    )
                    .exclude(status=Status.DRAFT)
                    .count()
                )
                if taken >= next_stage.max_participants:
                    raise ValidationError(
                        _(
                            "%(stage)s is full: at most %(limit)s applicants go through to it, "
                            "and %(taken)s have."
                        )
                        % {
                            "stage": next_stage.name,
                            "limit": next_stage.max_participants,
                            "taken": taken,
                        },
                        code="full",
                    )
            moved = expected.update(stage=next_stage, updated_at=now)
            kind, to_status, to_stage = Kind.ADVANCED, Status.SUBMITTED, next_stage
        if not moved:
            raise _stale()
        recorded = _record(
            application,
            kind,
            actor=actor,
            from_status=Status.SUBMITTED,
            to_status=to_status,
            from_stage=current_stage,
            to_stage=to_stage,
            note=note,
        )
        fresh = _reloaded(application)
        record_update(
            fresh,
            {"status": (Status.SUBMITTED, to_status), "stage": (current_stage, to_stage)},
            actor=actor,
        )
        _mail_members(
            fresh,
            "application-decision",
            {
                "kind": kind,
                "program": fresh.program,
                "from_stage": current_stage,
                "to_stage": to_stage,
                "note": note,
            },
            recorded=recorded,
            base_url=base_url,
        )
    return fresh


def application_decline(
    *,
    application: Application,
    actor: User,
    note: str = "",
    base_url: str | None = None,
) -> Application:
    """Declines a submitted application at its current stage: status declined, ``decided_at``,
    a DECLINED event with the note (shown to the vendor), and a mail to the company's members.
    Refused when it is not submitted, or moved since ``application`` was read."""
    stage_id = _require_submitted(
        application, _("Only a submitted application can be declined; this one is %(status)s.")
    )
    note = _clean_note(note)
    now = timezone.now()
    with transaction.atomic():
        declined = Application.objects.filter(
            pk=application.pk, stage_id=stage_id, status=Status.SUBMITTED
        ).update(status=Status.DECLINED, decided_at=now, updated_at=now)
        if not declined:
            raise _stale()
        stage = Stage.objects.get(pk=stage_id)
        recorded = _record(
            application,
            Kind.DECLINED,
            actor=actor,
            from_status=Status.SUBMITTED,
            to_status=Status.DECLINED,
            from_stage=stage,
            to_stage=stage,
            note=note,
        )
        fresh = _reloaded(application)
        record_update(fresh, {"status": (Status.SUBMITTED, Status.DECLINED)}, actor=actor)
        _mail_members(
            fresh,
            "application-decision",
            {
                "kind": Kind.DECLINED,
                "program": fresh.program,
                "from_stage": stage,
                "to_stage": stage,
                "note": note,
            },
            recorded=recorded,
            base_url=base_url,
        )
    return fresh


def application_add_note(*, application: Application, actor: User, note: str) -> ApplicationEvent:
    """An internal note of the program's staff on a submitted (or decided) application.

    INTERNAL: a NOTE event is never shown to the vendor (``application_selectors.
    vendor_timeline`` leaves it out) and mails nobody. Drafts take no notes: staff do not see
    them.
    """
    note = _clean_note(note)
    if not note:
        raise ValidationError({"note": _("Write the note.")})
    if application.status == Status.DRAFT:
        raise ValidationError(
            _("A draft is the vendor's own until it is submitted: it takes no notes."),
            code="status",
        )
    return _record(
        application,
        Kind.NOTE,
        actor=actor,
        from_stage=application.stage,
        to_stage=application.stage,
        note=note,
    )
