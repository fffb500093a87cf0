"""When a reminder is due, and how a deadline reads in two time zones.

A reminder "N days before" a deadline is due at the same wall-clock time N calendar days
earlier in the program's time zone: a Monday 09:00 deadline in Berlin is reminded one day
before on Sunday at 09:00 Berlin time, whatever daylight-saving change lies between (23 or 25
hours earlier in UTC, not 24). The functions here are pure: ``now`` is passed in.
"""

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

UTC = datetime.UTC


def reminder_due_at(
    deadline: datetime.datetime, days: int, zone: zoneinfo.ZoneInfo
) -> datetime.datetime:
    """The instant (in UTC) ``days`` calendar days before ``deadline`` at the same local time."""
    local = deadline.astimezone(zone)
    # Arithmetic on an aware datetime keeps its tzinfo and moves the wall clock; zoneinfo then
    # gives the offset in force on the earlier day.
    return (local - datetime.timedelta(days=days)).astimezone(UTC)


def due_offset(
    deadline: datetime.datetime,
    offsets: Iterable[int],
    zone: zoneinfo.ZoneInfo,
    now: datetime.datetime,
) -> int | None:
    """The reminder to send at ``now``: the smallest offset whose moment has come, while the
    deadline is still ahead; None when none is. After downtime several may have come at
    once; only the nearest to the deadline is worth a mail."""
    if now >= deadline:
        return None
    due = [days for days in offsets if now >= reminder_due_at(deadline, days, zone)]
    return min(due) if due else None


def days_left(deadline: datetime.datetime, zone: zoneinfo.ZoneInfo, now: datetime.datetime) -> int:
    """Whole days left, counted as reminders count them: the fewest N such that ``now`` is at
    or after the deadline's local time N days earlier (1 on the last day)."""
    days = 1
    while now < reminder_due_at(deadline, days, zone):
        days += 1
    return days


@dataclass(frozen=True, slots=True)
class DeadlineText:
    """A deadline as the program states it and as the reader's clock shows it."""

    program: str  # "Friday 5 December 2026, 18:00 (Europe/Moscow)"
    reader: str  # "23:00" or, on another day, "Saturday 6 December 2026, 01:00"
    reader_zone: str
    same_zone: bool  # the reader's clock agrees with the program's: say it once

    def __str__(self) -> str:
        if self.same_zone:
            return self.program
        return _("%(program)s — %(reader)s in your time zone (%(zone)s)") % {
            "program": self.program,
            "reader": self.reader,
            "zone": self.reader_zone,
        }


def _day(local: datetime.datetime) -> str:
    # The format is translated: each language orders the weekday, day, month and year its way
    # (and Russian takes the month in the genitive, "E").
    return date_format(local, pgettext("weekday and date in mails, Django date format", "l j F Y"))


def deadline_text(
    moment: datetime.datetime, program_zone: zoneinfo.ZoneInfo, reader_zone: zoneinfo.ZoneInfo
) -> DeadlineText:
    """``moment`` in the program's time zone and in the reader's, in the active language."""
    there = moment.astimezone(program_zone)
    here = moment.astimezone(reader_zone)
    program = _("%(day)s, %(time)s (%(zone)s)") % {
        "day": _day(there),
        "time": date_format(there, "H:i"),
        "zone": program_zone.key,
    }
    if here.date() == there.date():
        reader = date_format(here, "H:i")
    else:
        reader = _("%(day)s, %(time)s") % {"day": _day(here), "time": date_format(here, "H:i")}
    return DeadlineText(
        program=program,
        reader=reader,
        reader_zone=reader_zone.key,
        same_zone=here.utcoffset() == there.utcoffset(),
    )


def reader_zone(name: str) -> zoneinfo.ZoneInfo:
    """A user's time zone, UTC when the stored name is not (or no longer) a known zone."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
