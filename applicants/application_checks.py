"""What an application must satisfy: answers that fit their questions, the application stage's
window, the program's gates. Each check says why not in plain, translated words; the services in
``applicants.applications`` run them and refuse with every reason at once.
"""

import datetime
import math
import zoneinfo
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from applicants.models import Application, Document
from matchmaker.engine import (
    CriterionKind,
    Outcome,
    ProgramResult,
    RuleSet,
    Wording,
    describe_criterion,
    describe_fix,
)
from programs.models import Program, Question, Stage

SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 10_000
# Numbers beyond this lose precision in JSON readers (JavaScript's safe integers are 2**53).
NUMBER_MAX = 10**15
NOTE_MAX = 5_000


# --- refusals ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    """One thing that stops a submission, in the active language."""

    code: str  # "gate", "deadline", "answer" or "status"
    message: str
    # For a gate: the fewest changes to the profile that would pass it, in plain words.
    fixes: tuple[str, ...] = ()
    # For an answer: the question it is about, so a form can show it beside the field.
    question: int | None = None


class SubmissionRefusedError(ValidationError):
    """``application_submit`` said no: ``reasons`` holds every reason at once, not the first."""

    def __init__(self, reasons: Sequence[Reason]) -> None:
        self.reasons = tuple(reasons)
        # No params: a gate's label may contain "%", which message formatting would choke on.
        super().__init__([ValidationError(reason.message, code=reason.code) for reason in reasons])


def status_name(status: str) -> str:
    return str(Application.Status(status).label).lower()


# --- deadlines -----------------------------------------------------------------------------------


def deadline_text(moment: datetime.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """``moment`` as the program announces it: its date and 24-hour time in its time zone,
    with the zone named ("Dec. 1, 2026, 18:00 (Asia/Taipei)")."""
    local = timezone.localtime(moment, zone)
    return _("%(date)s, %(time)s (%(zone)s)") % {
        "date": date_format(local, "DATE_FORMAT"),
        "time": date_format(local, "H:i"),
        "zone": zone.key,
    }


def application_stage(program: Program) -> Stage | None:
    """The stage applications are submitted to: the program's first (lowest order)."""
    return Stage.objects.filter(program=program).order_by("order").first()


def window_reasons(program: Program, stage: Stage | None, now: datetime.datetime) -> list[Reason]:
    if program.status != Program.Status.OPEN:
        return [
            Reason(
                "deadline",
                _("%(program)s is not taking applications: it is %(status)s.")
                % {"program": program.title, "status": program.get_status_display().lower()},
            )
        ]
    if stage is None:
        return [
            Reason("deadline", _("This program has no stages yet, so it cannot take applications."))
        ]
    zone = program.time_zone
    if stage.opens_at is not None and now < stage.opens_at:
        return [
            Reason(
                "deadline",
                _("Applications open on %(when)s; you can prepare your answers until then.")
                % {"when": deadline_text(stage.opens_at, zone)},
            )
        ]
    if stage.closes_at is not None and now > stage.closes_at:
        return [
            Reason(
                "deadline",
                _("The deadline for applications (%(stage)s) passed on %(when)s.")
                % {"stage": stage.name, "when": deadline_text(stage.closes_at, zone)},
            )
        ]
    return []


# --- answers -------------------------------------------------------------------------------------


def _normalised(question: Question, value: Any) -> Any:
    """Text without surrounding blanks; None for an empty answer (which clears it)."""
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    return value


def answer_error(question: Question, value: Any, documents: Collection[int]) -> str | None:
    """Why ``value`` is not an answer to ``question``, or None when it is. ``documents`` are the
    ids of the company's documents, which a file question picks from."""
    kind = question.kind
    if kind in (Question.Kind.SHORT_TEXT, Question.Kind.LONG_TEXT):
        limit = SHORT_TEXT_MAX if kind == Question.Kind.SHORT_TEXT else LONG_TEXT_MAX
        if not isinstance(value, str):
            return _("Give the answer as text.")
        if len(value) > limit:
            return _("Keep the answer to %(limit)s characters; it has %(length)s.") % {
                "limit": number_format(limit, force_grouping=True),
                "length": number_format(len(value), force_grouping=True),
            }
        return None
    if kind == Question.Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _("Give a number.")
        # abs() first: math.isfinite() overflows on an integer too large for a float.
        if abs(value) > NUMBER_MAX or not math.isfinite(value):
            return _("Give a number between -%(limit)s and %(limit)s.") % {
                "limit": number_format(NUMBER_MAX, force_grouping=True)
            }
        return None
    if kind == Question.Kind.CHOICE:
        if not isinstance(value, str) or value not in question.choices:
            return _("Choose one of: %(choices)s.") % {"choices": ", ".join(question.choices)}
        return None
    if kind == Question.Kind.FILE:
        if isinstance(value, bool) or not isinstance(value, int) or value not in documents:
            return _("Choose one of your company's documents (by its id).")
        return None
    return _("This question cannot be answered: its kind is unknown.")  # pragma: no cover


def questions_by_key(program_id: int) -> dict[str, Question]:
    """The program's questions by the key answers use: the question's id as a string."""
    return {
        str(question.pk): question
        for question in Question.objects.filter(program_id=program_id).order_by("order", "pk")
    }


def document_ids(company_id: int) -> set[int]:
    return set(Document.objects.filter(company_id=company_id).values_list("pk", flat=True))


def clean_answers(
    answers: Mapping[Any, Any], questions: Mapping[str, Question], documents: Collection[int]
) -> dict[str, Any]:
    """``answers`` checked against the questions: question key → value, None to clear it.
    Raises a ValidationError naming every bad key (the question's id) at once."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for raw_key, raw_value in answers.items():
        key = str(raw_key)
        question = questions.get(key)
        if question is None:
            errors[key] = [
                _("This program's form has no question %(key)s.") % {"key": key},
            ]
            continue
        value = _normalised(question, raw_value)
        if value is None:
            cleaned[key] = None
            continue
        error = answer_error(question, value, documents)
        if error is not None:
            errors[key] = [error]
        else:
            cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def answer_reasons(
    answers: Mapping[str, Any], questions: Mapping[str, Question], documents: Collection[int]
) -> tuple[dict[str, Any], list[Reason]]:
    """The answers to submit (those to questions the form still has) and what is missing or
    no longer valid: staff may have changed a question, a document may have been deleted."""
    kept: dict[str, Any] = {}
    reasons: list[Reason] = []
    for key, question in questions.items():
        value = answers.get(key)
        if value is None:
            if question.required:
                reasons.append(
                    Reason(
                        "answer",
                        _("Answer the question “%(question)s”.") % {"question": question.label},
                        question=question.pk,
                    )
                )
            continue
        error = answer_error(question, value, documents)
        if error is not None:
            reasons.append(
                Reason(
                    "answer",
                    _("“%(question)s”: %(error)s") % {"question": question.label, "error": error},
                    question=question.pk,
                )
            )
            continue
        kept[key] = value
    return kept, reasons


# --- gates ---------------------------------------------------------------------------------------


def gate_reasons(result: ProgramResult, ruleset: RuleSet, words: Wording) -> list[Reason]:
    """A reason for every gate that does not pass, failed or undecided, with its fixes."""
    specs = {criterion.key: criterion for criterion in ruleset.criteria}
    reasons = []
    for criterion in result.criteria:
        if criterion.kind != CriterionKind.GATE or criterion.outcome is Outcome.PASS:
            continue
        values = {
            "label": criterion.label,
            "rule": describe_criterion(specs[criterion.key], words),
        }
        message = (
            _("Not met: %(label)s — %(rule)s.")
            if criterion.outcome is Outcome.FAIL
            else _("Not known yet: %(label)s — %(rule)s. Complete your profile to decide it.")
        ) % values
        reasons.append(
            Reason(
                "gate",
                message,
                fixes=tuple(str(describe_fix(fix, words)) for fix in criterion.fixes),
            )
        )
    return reasons
