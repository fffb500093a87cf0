"""Calendars of deadlines: the per-user feed at a secret address and a program's .ics download.

Every calendar is parsed back with icalendar, and the tests look at its events: UIDs, start
instants and their time zones, summaries, links and alarms.
"""

import datetime
import zoneinfo
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from applicants.applications import application_start
from applicants.calendar import calendar_feed_owner, calendar_token_issue, calendar_token_reset
from applicants.follows import program_follow
from applicants.models import Application, Company, CompanyMembership, User
from programs.models import Program, Stage
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, UserFactory

pytestmark = pytest.mark.django_db

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
DAY = datetime.timedelta(days=1)


HOST = "pilots.example"


@pytest.fixture(autouse=True)
def _site_url(settings: Any) -> None:
    # UIDs are made from the configured site, whatever host the request came to.
    settings.SITE_URL = f"https://{HOST}"


@pytest.fixture
def user() -> User:
    vendor: User = UserFactory(email="vendor@example.com")
    return vendor


def moscow_program(slug: str = "moscow-pilots", **fields: Any) -> Program:
    agency = AgencyFactory(
        slug="moscow-agency",
        name="Moscow Agency",
        city="Moscow",
        country="RU",
        time_zone="Europe/Moscow",
    )
    program: Program = ProgramFactory(
        slug=slug, title=fields.pop("title", f"Program {slug}"), owner=agency, **fields
    )
    return program


def berlin_program(slug: str = "berlin-pilots", **fields: Any) -> Program:
    agency = AgencyFactory(
        slug="berlin-agency",
        name="Berlin Agency",
        city="Berlin",
        country="DE",
        time_zone="Europe/Berlin",
    )
    program: Program = ProgramFactory(
        slug=slug, title=fields.pop("title", f"Program {slug}"), owner=agency, **fields
    )
    return program


def stage(program: Program, order: int, name: str, closes_at: datetime.datetime | None) -> Stage:
    made: Stage = StageFactory(
        program=program, order=order, name=name, opens_at=None, closes_at=closes_at
    )
    return made


def company_of(user: User, name: str = "Acme") -> Company:
    company = Company.objects.create(legal_name=name, country="TW")
    CompanyMembership.objects.create(user=user, company=company, role=CompanyMembership.Role.OWNER)
    return company


def feed_url(user: User) -> str:
    return reverse("accounts:calendar-feed", kwargs={"token": calendar_token_issue(user=user)})


def parse(response: Any) -> Calendar:
    assert response.status_code == 200, response.content[:200]
    return Calendar.from_ical(response.content)


def events_by_uid(calendar: Calendar) -> dict[str, Event]:
    return {str(event.uid): event for event in calendar.events}


def future(days: int, hour: int = 18, zone: zoneinfo.ZoneInfo = MOSCOW) -> datetime.datetime:
    """A whole hour ``days`` from today, in ``zone``."""
    day = timezone.now().astimezone(zone).date() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=zone)


# --- the feed's content --------------------------------------------------------------------------


def test_the_feed_has_one_event_per_deadline_of_a_followed_program_in_its_time_zone(
    client: Client, user: User
) -> None:
    # given a followed Moscow program with two deadlines and a stage without one
    program = moscow_program(title="Moscow pilots")
    application = stage(program, 0, "Application", future(20, 18))
    pitch = stage(program, 1, "Pitch", future(40, 12))
    stage(program, 2, "Pilot", None)
    program_follow(user=user, program=program)

    # when its owner's calendar app fetches the feed
    calendar = parse(client.get(feed_url(user)))

    # then each deadline is an event at the deadline, in Moscow time, with its VTIMEZONE
    events = events_by_uid(calendar)
    assert set(events) == {
        f"stage-{application.pk}-closes@{HOST}",
        f"stage-{pitch.pk}-closes@{HOST}",
    }
    event = events[f"stage-{application.pk}-closes@{HOST}"]
    assert event.start == application.closes_at
    assert event.start.tzinfo is not None
    assert str(event.start.tzinfo) == "Europe/Moscow"
    assert event.get("DTSTART").params["TZID"] == "Europe/Moscow"
    assert (event.start.hour, event.start.minute) == (18, 0)
    assert str(event.summary) == "Moscow pilots: Application closes"
    assert str(event.url) == "http://testserver/programs/moscow-pilots/"
    assert "http://testserver/programs/moscow-pilots/" in str(event.description)
    assert "Europe/Moscow" in str(event.description)
    assert [timezone_.tz_name for timezone_ in calendar.timezones] == ["Europe/Moscow"]
    # and a reminder a day before, which says what closes
    (alarm,) = event.walk("VALARM")
    assert alarm.get("ACTION") == "DISPLAY"
    assert alarm.get("TRIGGER").dt == -DAY
    assert "Application closes" in str(alarm.description)


def test_a_deadline_in_summer_time_keeps_its_instant_and_its_zones_daylight_rule(
    client: Client, user: User
) -> None:
    # given a Berlin deadline in July (CEST, UTC+2)
    program = berlin_program()
    day = timezone.now().astimezone(BERLIN).date()
    july = datetime.datetime(day.year + 1, 7, 15, 23, 59, tzinfo=BERLIN)
    deadline = stage(program, 0, "Application", july)
    program_follow(user=user, program=program)

    calendar = parse(client.get(feed_url(user)))

    (event,) = calendar.events
    assert event.start == deadline.closes_at
    assert event.start.astimezone(datetime.UTC) == datetime.datetime(
        day.year + 1, 7, 15, 21, 59, tzinfo=datetime.UTC
    )
    assert event.get("DTSTART").params["TZID"] == "Europe/Berlin"
    (vtimezone,) = calendar.timezones
    assert vtimezone.tz_name == "Europe/Berlin"
    # the VTIMEZONE's own rules give the same offset a calendar app would apply
    assert vtimezone.to_tz().utcoffset(july.replace(tzinfo=None)) == datetime.timedelta(hours=2)


def test_the_feed_adds_the_programs_a_users_company_has_a_draft_application_to(
    client: Client, user: User
) -> None:
    drafted = moscow_program("drafted", title="Drafted")
    deadline = stage(drafted, 0, "Application", future(10))
    application_start(company=company_of(user), user=user, program=drafted)

    events = events_by_uid(parse(client.get(feed_url(user))))

    assert set(events) == {f"stage-{deadline.pk}-closes@{HOST}"}
    assert str(events[f"stage-{deadline.pk}-closes@{HOST}"].summary) == (
        "Drafted: Application closes"
    )


def test_the_feed_leaves_out_other_users_drafts_and_applications_that_are_no_longer_drafts(
    client: Client, user: User
) -> None:
    # given another vendor's draft, and a program the user's company already submitted to
    theirs = moscow_program("theirs")
    stage(theirs, 0, "Application", future(10))
    stranger: User = UserFactory(email="stranger@example.com")
    application_start(company=company_of(stranger, "Globex"), user=stranger, program=theirs)
    submitted = moscow_program("submitted")
    stage(submitted, 0, "Application", future(10))
    application = application_start(company=company_of(user), user=user, program=submitted)
    Application.objects.filter(pk=application.pk).update(
        status=Application.Status.SUBMITTED, submitted_at=timezone.now()
    )

    calendar = parse(client.get(feed_url(user)))

    assert calendar.events == []
    # the stranger's own feed does show their draft: the filter is by user, not missing data
    assert len(parse(client.get(feed_url(stranger))).events) == 1


def test_the_feed_keeps_a_month_of_past_deadlines_of_open_programs_only(
    client: Client, user: User
) -> None:
    now = timezone.now()
    program = moscow_program("open-one")
    recent = stage(program, 0, "Recent", now - 29 * DAY)
    stage(program, 1, "Old", now - 31 * DAY)
    upcoming = stage(program, 2, "Upcoming", now + 5 * DAY)
    program_follow(user=user, program=program)
    for status in (Program.Status.CLOSED, Program.Status.ARCHIVED):
        other = moscow_program(f"{status}-one")
        stage(other, 0, "Application", now + 5 * DAY)
        program_follow(user=user, program=other)
        Program.objects.filter(pk=other.pk).update(status=status)
    # a program taken back to draft after a company started applying
    hidden = moscow_program("hidden")
    stage(hidden, 0, "Application", now + 5 * DAY)
    application_start(company=company_of(user), user=user, program=hidden)
    Program.objects.filter(pk=hidden.pk).update(status=Program.Status.DRAFT)

    events = events_by_uid(parse(client.get(feed_url(user))))

    assert set(events) == {
        f"stage-{recent.pk}-closes@{HOST}",
        f"stage-{upcoming.pk}-closes@{HOST}",
    }


def test_an_empty_feed_is_still_a_calendar(client: Client, user: User) -> None:
    calendar = parse(client.get(feed_url(user)))

    assert calendar.events == []
    assert str(calendar.calendar_name) == "Pilot Match deadlines"


def test_an_event_keeps_its_uid_when_the_deadline_moves(client: Client, user: User) -> None:
    program = moscow_program()
    deadline = stage(program, 0, "Application", future(10))
    program_follow(user=user, program=program)
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    Stage.objects.filter(pk=deadline.pk).update(updated_at=an_hour_ago)
    Program.objects.filter(pk=program.pk).update(updated_at=an_hour_ago)
    (before,) = parse(client.get(feed_url(user))).events

    deadline.closes_at = future(12)
    deadline.save(update_fields=["closes_at", "updated_at"])
    (after,) = parse(client.get(feed_url(user))).events

    assert after.uid == before.uid
    assert after.start == future(12)
    assert after.DTSTAMP > before.DTSTAMP


def test_the_feed_speaks_its_owners_language_whatever_the_calendar_app_asks_for(
    client: Client,
) -> None:
    russian: User = UserFactory(email="ru@example.com", language="ru")
    program = moscow_program()
    closes = datetime.datetime(timezone.now().year + 1, 12, 1, 18, tzinfo=MOSCOW)
    stage(program, 0, "Application", closes)
    program_follow(user=russian, program=program)

    (event,) = parse(client.get(feed_url(russian), HTTP_ACCEPT_LANGUAGE="en")).events

    # Django's Russian date format: the month in the genitive case
    assert "декабря" in str(event.description)
    assert "Dec." not in str(event.description)


def test_the_feed_is_served_inline_as_a_private_calendar(client: Client, user: User) -> None:
    response = client.get(feed_url(user))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="deadlines.ics"'
    assert response["Cache-Control"] == "private, max-age=300"


@pytest.mark.parametrize("followed", [1, 5])
def test_the_feed_makes_a_fixed_number_of_queries(
    client: Client, user: User, followed: int, django_assert_num_queries: Any
) -> None:
    for number in range(followed):
        program = moscow_program(f"program-{number}")
        stage(program, 0, "Application", future(10 + number))
        stage(program, 1, "Pitch", future(30 + number))
        program_follow(user=user, program=program)
    application_start(company=company_of(user), user=user, program=program)
    url = feed_url(user)

    # the owner of the token, then the stages with their programs and agencies
    with django_assert_num_queries(2):
        response = client.get(url)

    assert len(parse(response).events) == 2 * followed


# --- the secret address --------------------------------------------------------------------------


def test_an_unknown_token_is_not_found(client: Client, user: User) -> None:
    calendar_token_issue(user=user)

    assert client.get(reverse("accounts:calendar-feed", args=["not-a-token"])).status_code == 404
    assert client.get(reverse("accounts:calendar-feed", args=["x" * 300])).status_code == 404


def test_an_inactive_users_feed_is_not_found(client: Client, user: User) -> None:
    url = feed_url(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert client.get(url).status_code == 404


def test_the_token_is_made_once_and_kept(user: User) -> None:
    token = calendar_token_issue(user=user)
    stale = User.objects.get(pk=user.pk)
    stale.calendar_token = None  # as another request loaded it before the first one wrote

    assert len(token) >= 40
    assert calendar_token_issue(user=user) == token
    assert calendar_token_issue(user=stale) == token
    assert User.objects.get(pk=user.pk).calendar_token == token
    assert calendar_feed_owner(token=token) == user


def test_every_user_gets_their_own_token() -> None:
    first: User = UserFactory(email="first@example.com")
    second: User = UserFactory(email="second@example.com")

    assert calendar_token_issue(user=first) != calendar_token_issue(user=second)


def test_resetting_retires_the_old_address(client: Client, user: User) -> None:
    old = feed_url(user)
    client.force_login(user)

    response = client.post(reverse("accounts:calendar-reset"), {"next": "/accounts/profile/"})

    user.refresh_from_db()
    new = feed_url(user)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert "new address" in " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_reset_ignores_a_next_address_on_another_site(client: Client, user: User) -> None:
    client.force_login(user)

    response = client.post(reverse("accounts:calendar-reset"), {"next": "https://evil.example/"})

    assert response["Location"] == reverse("accounts:profile")


def test_reset_needs_a_signed_in_post(client: Client, user: User) -> None:
    token = calendar_token_issue(user=user)
    url = reverse("accounts:calendar-reset")

    anonymous = client.post(url)
    client.force_login(user)
    by_get = client.get(url)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    assert by_get.status_code == 405
    assert User.objects.get(pk=user.pk).calendar_token == token


def test_reset_is_protected_from_cross_site_requests(user: User) -> None:
    token = calendar_token_issue(user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse("accounts:calendar-reset"))

    assert response.status_code == 403
    assert User.objects.get(pk=user.pk).calendar_token == token


def test_calendar_reset_service_changes_the_token(user: User) -> None:
    token = calendar_token_issue(user=user)

    new = calendar_token_reset(user=user)

    assert new != token
    assert calendar_feed_owner(token=token) is None
    assert calendar_feed_owner(token=new) == user


# --- a program's download ------------------------------------------------------------------------


def program_ics(slug: str) -> str:
    return reverse("programs:calendar", kwargs={"slug": slug})


def test_a_programs_download_has_all_its_deadlines_as_an_attachment(client: Client) -> None:
    program = berlin_program(title="Berlin pilots")
    first = stage(program, 0, "Application", timezone.now() - 40 * DAY)
    second = stage(program, 1, "Pitch", future(20, 10, BERLIN))
    stage(program, 2, "Pilot", None)

    response = client.get(program_ics("berlin-pilots"))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="berlin-pilots.ics"'
    calendar = parse(response)
    assert [str(event.uid) for event in calendar.events] == [
        f"stage-{first.pk}-closes@{HOST}",
        f"stage-{second.pk}-closes@{HOST}",
    ]
    assert [str(event.summary) for event in calendar.events] == [
        "Berlin pilots: Application closes",
        "Berlin pilots: Pitch closes",
    ]
    assert calendar.events[1].start == second.closes_at
    assert calendar.events[1].get("DTSTART").params["TZID"] == "Europe/Berlin"
    assert str(calendar.calendar_name) == "Berlin pilots deadlines"


@pytest.mark.parametrize("status", [Program.Status.CLOSED, Program.Status.ARCHIVED])
def test_a_closed_or_archived_programs_download_is_public_like_its_page(
    client: Client, status: str
) -> None:
    program = berlin_program(status=status)
    stage(program, 0, "Application", timezone.now() - 5 * DAY)

    assert client.get(program.get_absolute_url()).status_code == 200
    assert len(parse(client.get(program_ics(program.slug))).events) == 1


def test_a_draft_or_unknown_programs_download_is_not_found(client: Client) -> None:
    draft = berlin_program(status=Program.Status.DRAFT)
    stage(draft, 0, "Application", future(5))

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(program_ics(draft.slug)).status_code == 404
    assert client.get(program_ics("nope")).status_code == 404


def test_a_programs_download_is_in_the_visitors_language(client: Client) -> None:
    program = moscow_program()
    stage(program, 0, "Application", datetime.datetime(2031, 12, 1, 18, tzinfo=MOSCOW))

    (russian,) = parse(client.get(program_ics(program.slug), HTTP_ACCEPT_LANGUAGE="ru")).events
    (english,) = parse(client.get(program_ics(program.slug), HTTP_ACCEPT_LANGUAGE="en")).events

    assert "декабря" in str(russian.description)
    assert "Dec. 1, 2031" in str(english.description)


def test_a_programs_download_makes_two_queries(
    client: Client, django_assert_num_queries: Any
) -> None:
    program = moscow_program()
    for order in range(4):
        stage(program, order, f"Stage {order}", future(10 + order))

    # the program with its owner agency, then its stages
    with django_assert_num_queries(2):
        response = client.get(program_ics(program.slug))

    assert len(parse(response).events) == 4


def test_the_program_page_links_its_download(client: Client) -> None:
    program = moscow_program()

    page = client.get(program.get_absolute_url()).content.decode()

    assert f'href="{program_ics(program.slug)}"' in page
    assert "Add deadlines to my calendar (.ics)" in page
