"""Program deadlines as iCalendar: a program's own .ics download and each user's feed.

Only deadlines are events — one per stage with a ``closes_at`` — because a deadline is what a
vendor must act on; openings would double the events for little use. Each event starts at the
deadline in the program's time zone (with its VTIMEZONE), carries a link to the program page and
a display alarm one day before, and keeps its UID (``stage-<pk>-closes@<site host>``) for
good, so a calendar that subscribes to the feed updates a moved deadline instead of adding one.

The feed lives at a secret address (``User.calendar_token``): calendar apps cannot sign in, so
the token is the credential. It is made the first time the user sees their feed address and
replaced on request, which retires the old address.
"""

import datetime
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event, vDuration
from icalendar.enums import TRANSP

from applicants.models import Application, Follow, User
from programs.models import Program, Stage

# The feed keeps the last month of deadlines, so a calendar still shows the ones just passed.
FEED_HISTORY = datetime.timedelta(days=30)
ALARM_BEFORE = datetime.timedelta(days=1)
# How often calendar apps are asked to fetch the feed again (most poll on their own schedule).
FEED_REFRESH = datetime.timedelta(hours=1)
PRODID = "-//Pilot Match//Program deadlines//EN"
TOKEN_BYTES = 32  # 43 URL-safe characters
TOKEN_MAX_LENGTH = 64  # User.calendar_token's max_length: nothing longer can match


# --- the secret address ------------------------------------------------------------------------


def calendar_token_issue(*, user: User) -> str:
    """``user``'s feed token, made on first use. Safe under concurrency: of two first views,
    one writes its token and both return that one."""
    if user.calendar_token:
        return user.calendar_token
    token = secrets.token_urlsafe(TOKEN_BYTES)
    if not User.objects.filter(pk=user.pk, calendar_token__isnull=True).update(
        calendar_token=token
    ):
        # Another request was first; reset never empties the field, so there is a token to read.
        token = User.objects.values_list("calendar_token", flat=True).get(pk=user.pk) or ""
    user.calendar_token = token
    return token


def calendar_token_reset(*, user: User) -> str:
    """A new feed token for ``user``; the old address stops working at once."""
    user.calendar_token = secrets.token_urlsafe(TOKEN_BYTES)
    user.save(update_fields=["calendar_token"])
    return user.calendar_token


def calendar_feed_owner(*, token: str) -> User | None:
    """The active user whose feed ``token`` opens, or None.

    A lookup on the unique column: the database compares, so there is no string comparison in
    Python whose timing could leak how much of a guess was right.
    """
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return User.objects.filter(calendar_token=token, is_active=True).first()


# --- what goes in ------------------------------------------------------------------------------


def feed_stages(*, user: User, now: datetime.datetime | None = None) -> list[Stage]:
    """Deadlines for ``user``'s feed, in one query: stages of open programs the user follows or
    one of whose companies has a draft application to, closing 30 days ago or later."""
    now = now or timezone.now()
    followed = Follow.objects.filter(user=user).values("program_id")
    drafting = Application.objects.filter(
        status=Application.Status.DRAFT, company__memberships__user=user
    ).values("program_id")
    return list(
        Stage.objects.filter(
            Q(program__in=followed) | Q(program__in=drafting),
            program__status=Program.Status.OPEN,
            closes_at__gte=now - FEED_HISTORY,
        )
        .select_related("program__owner")
        .order_by("closes_at", "pk")
    )


def program_stages(*, program: Program) -> list[Stage]:
    """Every deadline of ``program``, in stage order (one query; the stages share ``program``)."""
    return list(program.stages.filter(closes_at__isnull=False).order_by("order"))


# --- building the calendar ---------------------------------------------------------------------


def _uid_host() -> str:
    # The configured site, not the request's host: a UID must not change with the address a
    # calendar app happened to fetch the feed from.
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _event(stage: Stage, *, base_url: str, host: str) -> Event:
    program = stage.program
    assert stage.closes_at is not None
    closes = stage.closes_at.astimezone(program.time_zone)
    names = {"program": program.title, "stage": stage.name}
    link = f"{base_url}{program.get_absolute_url()}"
    description = _(
        "%(stage)s of %(program)s closes on %(time)s (%(zone)s time).\n\nProgram page: %(link)s"
    ) % {
        **names,
        "time": formats.date_format(closes, "DATETIME_FORMAT"),
        "zone": program.owner.time_zone,
        "link": link,
    }
    # When the program's staff last changed anything the event shows.
    revised = max(stage.updated_at, program.updated_at).astimezone(datetime.UTC)
    event = Event.new(
        uid=f"stage-{stage.pk}-closes@{host}",
        start=closes,
        summary=_("%(program)s: %(stage)s closes") % names,
        description=description,
        url=link,
        stamp=revised,
        last_modified=revised,
        # A deadline is not a meeting: it must not make the user look busy.
        transparency=TRANSP.TRANSPARENT,
    )
    event.add_component(
        Alarm.new_display(
            description=_("%(program)s: %(stage)s closes tomorrow") % names,
            trigger=-ALARM_BEFORE,
        )
    )
    return event


def deadlines_calendar(
    *,
    stages: Sequence[Stage],
    name: str,
    description: str,
    base_url: str,
    refresh: datetime.timedelta | None = None,
) -> Calendar:
    """A calendar of ``stages``' deadlines (each with its program and owner loaded), strings in
    the active language; ``base_url`` (``https://host``) prefixes the links."""
    calendar = Calendar.new(
        prodid=PRODID,
        name=name,
        description=description,
        refresh_interval=refresh,
    )
    # Calendar.new draws a random UID; the calendar needs none (RFC 7986 makes it optional),
    # and a random one would make every fetch of an unchanged feed look different.
    del calendar["UID"]
    if refresh is not None:
        # RFC 7986 spells the value type out; Outlook reads its own older name for it.
        calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
        calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    host = _uid_host()
    for stage in stages:
        calendar.add_component(_event(stage, base_url=base_url, host=host))
    if stages:
        closing = [stage.closes_at.date() for stage in stages if stage.closes_at is not None]
        # Each VTIMEZONE spans only the dates in use (alarms included), not 1970-2038.
        margin = ALARM_BEFORE + datetime.timedelta(days=7)
        calendar.add_missing_timezones(
            first_date=min(closing) - margin, last_date=max(closing) + margin
        )
    return calendar


def feed_calendar(*, user: User, base_url: str, now: datetime.datetime | None = None) -> Calendar:
    """``user``'s feed; call it with ``user``'s language active."""
    return deadlines_calendar(
        stages=feed_stages(user=user, now=now),
        name=_("Pilot Match deadlines"),
        description=_(
            "Deadlines of the programs you follow or have a draft application to, on Pilot Match."
        ),
        base_url=base_url,
        refresh=FEED_REFRESH,
    )


def program_calendar(*, program: Program, base_url: str) -> Calendar:
    """``program``'s deadlines, for a one-off import."""
    return deadlines_calendar(
        stages=program_stages(program=program),
        name=_("%(program)s deadlines") % {"program": program.title},
        description=_("Deadlines of %(program)s, in its time zone %(zone)s.")
        % {"program": program.title, "zone": program.owner.time_zone},
        base_url=base_url,
    )
