"""The program settings form: each stage's dates (in the program's time zone) and maximum
participants, and the days before a deadline that vendors are reminded.

It parses input only; ``programs.reminders.schedule.program_schedule_update`` validates the
schedule as a whole and saves it, and its errors come back next to the fields they name (the
form's stage fields are named as the service names them, ``stage_<id>_<field>``).
"""

import datetime
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import MAX_REMINDER_DAYS, Program, Stage
from programs.reminders.schedule import StageSchedule, stage_field_key
from programs.staff_forms import StaffForm

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class ZonedDateTimeField(forms.DateTimeField):
    """A date and time typed in ``zone`` (not the server's): ``<input type=datetime-local>``.

    A local time that does not exist there (skipped by a daylight-saving change) or exists
    twice is refused with Django's message, rather than guessed."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT)

    def __init__(self, *, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        self.zone = zone
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime.datetime | None:
        with timezone.override(self.zone):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.localtime(value, self.zone).replace(tzinfo=None)
        return value


@dataclass(frozen=True, slots=True)
class StageFields:
    """A stage's three fields, for the template to lay out as one group."""

    stage: Stage
    opens_at: forms.BoundField
    closes_at: forms.BoundField
    max_participants: forms.BoundField


def _to_the_minute(value: datetime.datetime | None) -> datetime.datetime | None:
    return value.replace(second=0, microsecond=0) if value else None


class ProgramSettingsForm(StaffForm):
    reminder_days = forms.CharField(
        label=_("Reminder days"),
        required=False,
        max_length=200,
        help_text=_(
            "Days before the application deadline that companies with a draft, and followers "
            "who fit the program, are reminded, separated by commas, e.g. 14, 3, 1. Leave "
            "empty for no reminders."
        ),
    )

    def __init__(self, *args: Any, program: Program, stages: Sequence[Stage], **kwargs: Any):
        self.program = program
        self.stages = list(stages)
        zone = program.time_zone
        initial: dict[str, Any] = {
            "reminder_days": ", ".join(str(days) for days in program.reminder_offsets)
        }
        for stage in self.stages:
            initial[stage_field_key(stage.pk, "opens_at")] = stage.opens_at
            initial[stage_field_key(stage.pk, "closes_at")] = stage.closes_at
            initial[stage_field_key(stage.pk, "max_participants")] = stage.max_participants
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for stage in self.stages:
            self.fields[stage_field_key(stage.pk, "opens_at")] = ZonedDateTimeField(
                zone=zone,
                required=False,
                label=_("Opens"),
                help_text=_("Empty: open from the start."),
            )
            self.fields[stage_field_key(stage.pk, "closes_at")] = ZonedDateTimeField(
                zone=zone,
                required=False,
                label=_("Closes"),
                help_text=_("Empty: no deadline."),
            )
            self.fields[stage_field_key(stage.pk, "max_participants")] = forms.IntegerField(
                required=False,
                min_value=1,
                max_value=1_000_000,
                label=_("Maximum participants"),
                help_text=_("Empty: no limit."),
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
            )

    def stage_fields(self) -> list[StageFields]:
        return [
            StageFields(
                stage=stage,
                opens_at=self[stage_field_key(stage.pk, "opens_at")],
                closes_at=self[stage_field_key(stage.pk, "closes_at")],
                max_participants=self[stage_field_key(stage.pk, "max_participants")],
            )
            for stage in self.stages
        ]

    def clean_reminder_days(self) -> list[int]:
        text: str = self.cleaned_data["reminder_days"].strip()
        if not text:
            return []
        parts = [part for part in re.split(r"[\s,;]+", text) if part]
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError(
                _("Give whole numbers of days separated by commas, e.g. 14, 3, 1."),
                code="invalid",
            )
        days = [int(part) for part in parts]
        if any(not 1 <= value <= MAX_REMINDER_DAYS for value in days):
            raise forms.ValidationError(
                _("Each reminder must be between 1 and %(max)d days before the deadline.")
                % {"max": MAX_REMINDER_DAYS},
                code="range",
            )
        return days

    def _kept(self, stage: Stage, name: str) -> datetime.datetime | None:
        """The typed value, or the stored one when the field shows it unchanged: the input
        shows minutes, so a stored deadline with seconds must not move by being re-saved."""
        value: datetime.datetime | None = self.cleaned_data[stage_field_key(stage.pk, name)]
        stored: datetime.datetime | None = getattr(stage, name)
        return stored if value == _to_the_minute(stored) else value

    def schedules(self) -> list[StageSchedule]:
        return [
            StageSchedule(
                stage_id=stage.pk,
                opens_at=self._kept(stage, "opens_at"),
                closes_at=self._kept(stage, "closes_at"),
                max_participants=self.cleaned_data[stage_field_key(stage.pk, "max_participants")],
            )
            for stage in self.stages
        ]
