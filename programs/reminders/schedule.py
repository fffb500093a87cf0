"""Agency admins' edits to a program's schedule: its stages' dates and sizes, its reminder days.

One service, ``program_schedule_update``: validates everything at once (each stage closes after
it opens; each opens and closes no earlier than the stage before it; reminder days as the
program's ``clean`` allows them), then saves in one transaction with the program row locked. A
stage change is a change of the program's rules as far as matching is concerned (stages decide
whether and until when a company can apply), so it bumps ``rules_version`` through
``program_bump_rules_version`` exactly as a rule edit does, and the program is rescored after
commit. Each stage whose deadline moved goes to ``notify_deadline_changed``, in the same
transaction, so a refused or rolled-back save mails nobody.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from applicants.models import User
from programs.models import Program, Stage
from programs.reminders.deadlines import notify_deadline_changed
from programs.services import program_bump_rules_version

STAGE_FIELDS = ("opens_at", "closes_at", "max_participants")


def stage_field_key(stage_id: int, name: str) -> str:
    """How errors name a stage's field (``stage_12_closes_at``); forms use the same names."""
    return f"stage_{stage_id}_{name}"


@dataclass(frozen=True, slots=True)
class StageSchedule:
    stage_id: int
    opens_at: datetime.datetime | None
    closes_at: datetime.datetime | None
    max_participants: int | None


@dataclass(frozen=True, slots=True)
class ScheduleChange:
    stages: tuple[str, ...]  # names of the stages that changed
    deadlines_moved: tuple[str, ...]  # names of the stages whose closing moved
    mails: int  # "the deadline moved" mails queued
    reminder_days_changed: bool
    rules_version: int | None  # the new version when stages changed

    @property
    def changed(self) -> bool:
        return bool(self.stages) or self.reminder_days_changed


def _order_errors(stages: Sequence[Stage]) -> dict[str, list[str]]:
    """Each stage closes after it opens, and none opens or closes before the one before it."""
    errors: dict[str, list[str]] = {}
    previous: Stage | None = None
    for stage in stages:
        if stage.opens_at and stage.closes_at and stage.closes_at <= stage.opens_at:
            errors[stage_field_key(stage.pk, "closes_at")] = [
                _("%(stage)s must close after it opens.") % {"stage": stage.name}
            ]
        if previous is not None:
            if previous.opens_at and stage.opens_at and stage.opens_at < previous.opens_at:
                errors.setdefault(stage_field_key(stage.pk, "opens_at"), []).append(
                    _("%(stage)s cannot open before the stage before it, %(previous)s, opens.")
                    % {"stage": stage.name, "previous": previous.name}
                )
            if previous.closes_at and stage.closes_at and stage.closes_at < previous.closes_at:
                errors.setdefault(stage_field_key(stage.pk, "closes_at"), []).append(
                    _("%(stage)s cannot close before the stage before it, %(previous)s, closes.")
                    % {"stage": stage.name, "previous": previous.name}
                )
        previous = stage
    return errors


def program_schedule_update(
    *,
    program: Program,
    actor: User,
    stages: Sequence[StageSchedule],
    reminder_offsets: list[int],
) -> ScheduleChange:
    """Sets the given stages' dates and maximum participants and the program's reminder days.

    ``stages`` may name only the program's own stages. Raises ``ValidationError`` (keys from
    ``stage_field_key``, and ``reminder_offsets``) with every problem at once; nothing is saved
    then. Saves and bumps nothing when nothing changed.
    """
    with transaction.atomic():
        locked = Program.objects.select_for_update(of=("self",)).get(pk=program.pk)
        current = list(Stage.objects.filter(program=locked).order_by("order"))
        by_id = {stage.pk: stage for stage in current}
        unknown = [item.stage_id for item in stages if item.stage_id not in by_id]
        if unknown:
            raise ValidationError(_("A stage of another program was given."), code="stage")

        before = {
            stage.pk: {name: getattr(stage, name) for name in STAGE_FIELDS} for stage in current
        }
        for item in stages:
            stage = by_id[item.stage_id]
            stage.opens_at = item.opens_at
            stage.closes_at = item.closes_at
            stage.max_participants = item.max_participants
        errors = _order_errors(current)
        for stage in current:
            try:
                # Field checks only: the constraints' own check is ``_order_errors``, worded per
                # stage, with the database constraint behind it.
                stage.full_clean(
                    exclude=["program"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    errors.setdefault(stage_field_key(stage.pk, name), []).extend(messages)
        old_offsets = list(locked.reminder_offsets)
        locked.reminder_offsets = reminder_offsets
        try:
            locked.clean()
        except ValidationError as error:
            errors.update({k: v for k, v in error.message_dict.items() if k == "reminder_offsets"})
        if errors:
            raise ValidationError(errors)

        changed = [
            stage
            for stage in current
            if any(getattr(stage, name) != before[stage.pk][name] for name in STAGE_FIELDS)
        ]
        moved = [stage for stage in changed if stage.closes_at != before[stage.pk]["closes_at"]]
        offsets_changed = locked.reminder_offsets != old_offsets
        if offsets_changed:
            locked.save(update_fields=["reminder_offsets", "updated_at"])
        version = None
        mails = 0
        if changed:
            for stage in changed:
                stage.save(update_fields=[*STAGE_FIELDS, "updated_at"])
            version = program_bump_rules_version(program_id=locked.pk)
            for stage in moved:
                mails += notify_deadline_changed(stage, before[stage.pk]["closes_at"], actor)
    return ScheduleChange(
        stages=tuple(stage.name for stage in changed),
        deadlines_moved=tuple(stage.name for stage in moved),
        mails=mails,
        reminder_days_changed=offsets_changed,
        rules_version=version,
    )
