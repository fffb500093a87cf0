"""programs.reminders: deadline reminders, a moved deadline, the new-matches digest, and
``manage.py send_reminders``. Mail is asserted on the outbox's rows (``Notification``)."""

import datetime
import io
import threading
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from applicants.models import Application, Company, CompanyMembership, Follow, User
from matchmaker.models import EmailOptOut, Notification, ProgramAnnouncement
from programs.models import Program, Question, Stage
from programs.reminders import notify_deadline_changed, send_digests, send_reminders
from programs.reminders.timing import days_left, deadline_text, due_offset, reminder_due_at
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, UserFactory, add_criterion
from tests.staff import make_company, owner_of, store_match, submit

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")
Kind = Notification.Kind

# Friday 4 December 2026, 18:00 in Moscow (15:00 UTC): the application deadline of most tests.
DEADLINE = datetime.datetime(2026, 12, 4, 18, 0, tzinfo=MOSCOW)


def at(deadline: datetime.datetime, **before: float) -> datetime.datetime:
    """An instant some time before ``deadline`` (days, hours, seconds ...)."""
    return deadline - datetime.timedelta(**before)


def moscow_program(deadline: datetime.datetime = DEADLINE, **fields: Any) -> Program:
    agency = AgencyFactory(
        slug="moscow-agency",
        name="Moscow Agency",
        city="Moscow",
        country="RU",
        time_zone="Europe/Moscow",
    )
    fields = {"slug": "moscow-pilots", "title": "Moscow pilots", **fields}
    program = ProgramFactory(owner=agency, **fields)
    StageFactory(
        program=program,
        order=0,
        name="Application",
        opens_at=deadline - datetime.timedelta(days=60),
        closes_at=deadline,
    )
    StageFactory(
        program=program,
        order=1,
        name="Expert review",
        opens_at=deadline + datetime.timedelta(days=1),
        closes_at=deadline + datetime.timedelta(days=2),
    )
    return program


def application_stage(program: Program) -> Stage:
    return Stage.objects.get(program=program, order=0)


def draft(company: Company, program: Program, **fields: Any) -> Application:
    return Application.objects.create(
        company=company, program=program, created_by=owner_of(company), **fields
    )


def member(company: Company, email: str, **fields: Any) -> User:
    user: User = UserFactory(email=email, **fields)
    CompanyMembership.objects.create(user=user, company=company, role=CompanyMembership.Role.MEMBER)
    return user


def rows(**filters: Any) -> list[Notification]:
    return list(Notification.objects.filter(**filters).order_by("to_email", "key"))


def keys() -> list[str]:
    return [row.key for row in rows()]


@pytest.fixture
def program() -> Program:
    return moscow_program()


@pytest.fixture
def company() -> Company:
    return make_company("Acme", owner="owner@acme.test", country="RU", score=False)


# --- when a reminder is due ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(DEADLINE, days=15), None),  # before the first offset
        (at(DEADLINE, days=14), 14),  # exactly at it
        (at(DEADLINE, days=10), 14),
        (at(DEADLINE, days=3, seconds=1), 14),
        (at(DEADLINE, days=3), 3),
        (at(DEADLINE, days=1, seconds=-1), 1),
        (at(DEADLINE, seconds=1), 1),
        (DEADLINE, None),  # the deadline has passed
        (at(DEADLINE, days=-1), None),
    ],
)
def test_the_due_offset_is_the_smallest_whose_moment_has_come_before_the_deadline(
    now: datetime.datetime, expected: int | None
) -> None:
    assert due_offset(DEADLINE, [14, 3, 1], MOSCOW, now) == expected


@pytest.mark.parametrize(
    ("deadline", "days", "due_utc"),
    [
        # Berlin springs forward on Sunday 29 March 2026: a Sunday 09:00 deadline (07:00 UTC)
        # is reminded on Saturday at 09:00 CET, 08:00 UTC: 23 hours before, not 24.
        (
            datetime.datetime(2026, 3, 29, 9, tzinfo=BERLIN),
            1,
            datetime.datetime(2026, 3, 28, 8, tzinfo=UTC),
        ),
        # A Monday 09:00 deadline after the change, three days before: Friday 09:00 CET.
        (
            datetime.datetime(2026, 3, 30, 9, tzinfo=BERLIN),
            3,
            datetime.datetime(2026, 3, 27, 8, tzinfo=UTC),
        ),
        # Berlin falls back on Sunday 25 October 2026: 73 hours instead of 72.
        (
            datetime.datetime(2026, 10, 26, 9, tzinfo=BERLIN),
            3,
            datetime.datetime(2026, 10, 23, 7, tzinfo=UTC),
        ),
        # New York springs forward on Sunday 8 March 2026.
        (
            datetime.datetime(2026, 3, 8, 9, tzinfo=NEW_YORK),
            1,
            datetime.datetime(2026, 3, 7, 14, tzinfo=UTC),
        ),
        # Moscow has no daylight-saving time: exactly 72 hours.
        (DEADLINE, 3, datetime.datetime(2026, 12, 1, 15, tzinfo=UTC)),
    ],
)
def test_a_reminder_is_due_at_the_same_local_time_days_before_across_daylight_saving(
    deadline: datetime.datetime, days: int, due_utc: datetime.datetime
) -> None:
    assert reminder_due_at(deadline, days, deadline.tzinfo) == due_utc  # type: ignore[arg-type]


def test_a_berlin_deadline_across_the_spring_change_is_reminded_at_9_local_on_the_day_before() -> (
    None
):
    # given a Berlin program reminding one day before a Sunday 29 March 2026 09:00 deadline
    berlin = AgencyFactory(slug="berlin", city="Berlin", country="DE", time_zone="Europe/Berlin")
    program = ProgramFactory(owner=berlin, reminder_offsets=[1])
    deadline = datetime.datetime(2026, 3, 29, 9, tzinfo=BERLIN)
    StageFactory(
        program=program,
        order=0,
        opens_at=deadline - datetime.timedelta(days=30),
        closes_at=deadline,
    )
    acme = make_company("Acme", owner="owner@acme.test", score=False)
    draft(acme, program)
    due = datetime.datetime(2026, 3, 28, 8, 0, tzinfo=UTC)  # Saturday 09:00 CET

    # when it ticks one second before, then at the moment (24 hours before would be 07:00 UTC)
    early = send_reminders(now=due - datetime.timedelta(seconds=1))
    on_time = send_reminders(now=due)

    # then
    assert early.queued == 0
    assert on_time.queued == 1
    assert keys() == [
        f"deadline-reminder:user:{owner_of(acme).pk}:stage:{program.stages.get().pk}:2026-03-29T07:00:00+00:00:1"
    ]


def test_days_left_counts_local_days_like_the_offsets() -> None:
    assert days_left(DEADLINE, MOSCOW, at(DEADLINE, days=3)) == 3
    assert days_left(DEADLINE, MOSCOW, at(DEADLINE, days=2, hours=23)) == 3
    assert days_left(DEADLINE, MOSCOW, at(DEADLINE, hours=2)) == 1


def test_a_deadline_reads_in_the_programs_time_zone_and_the_readers() -> None:
    text = deadline_text(DEADLINE, MOSCOW, TAIPEI)

    assert str(text) == (
        "Friday 4 December 2026, 18:00 (Europe/Moscow) — 23:00 in your time zone (Asia/Taipei)"
    )
    late = deadline_text(DEADLINE.replace(hour=23), MOSCOW, TAIPEI)
    assert late.reader == "Saturday 5 December 2026, 04:00"
    assert str(deadline_text(DEADLINE, MOSCOW, zoneinfo.ZoneInfo("Europe/Istanbul"))) == (
        "Friday 4 December 2026, 18:00 (Europe/Moscow)"
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", "Пятница, 4 декабря 2026 г., 18:00 (Europe/Moscow)"),
        ("zh-hant", "2026年12月4日 星期五 18:00（Europe/Moscow）"),
    ],
)
def test_a_deadline_in_a_mail_reads_in_the_languages_own_order(language, expected) -> None:
    with translation.override(language):
        assert deadline_text(DEADLINE, MOSCOW, MOSCOW).program == expected


# --- who is reminded -----------------------------------------------------------------------------


def test_every_member_of_a_company_with_a_draft_is_reminded_once_at_the_due_offset(
    program: Program, company: Company
) -> None:
    colleague = member(company, "colleague@acme.test")
    draft(company, program)

    report = send_reminders(now=at(DEADLINE, days=3))

    stage = application_stage(program)
    assert (report.queued, report.drafts, report.followers) == (2, 2, 0)
    assert sorted(keys()) == sorted(
        f"deadline-reminder:user:{user.pk}:stage:{stage.pk}:2026-12-04T15:00:00+00:00:3"
        for user in (owner_of(company), colleague)
    )
    assert {row.kind for row in rows()} == {Kind.DEADLINE_REMINDER}


def test_nothing_is_sent_between_offsets_once_the_last_one_went(
    program: Program, company: Company
) -> None:
    draft(company, program)
    send_reminders(now=at(DEADLINE, days=14))

    report = send_reminders(now=at(DEADLINE, days=10))

    assert (report.queued, report.already_sent) == (0, 1)
    assert len(keys()) == 1


def test_after_downtime_only_the_smallest_due_offset_is_sent(
    program: Program, company: Company
) -> None:
    draft(company, program)

    send_reminders(now=at(DEADLINE, days=2))  # the 14- and the 3-day moments both passed

    assert [key.rsplit(":", 1)[1] for key in keys()] == ["3"]


def test_two_ticks_queue_one_mail_per_key(program: Program, company: Company) -> None:
    draft(company, program)

    first = send_reminders(now=at(DEADLINE, days=1))
    second = send_reminders(now=at(DEADLINE, days=1, seconds=-60))

    assert (first.queued, second.queued, second.already_sent) == (1, 0, 1)
    assert Notification.objects.count() == 1


def test_a_moved_deadline_is_reminded_afresh(program: Program, company: Company) -> None:
    draft(company, program)
    send_reminders(now=at(DEADLINE, days=3))
    stage = application_stage(program)
    stage.closes_at = DEADLINE + datetime.timedelta(days=1)
    stage.save()

    report = send_reminders(now=at(DEADLINE, days=3, seconds=-60))

    # Four days before the new deadline: its 14-day reminder is due, under a key of its own.
    assert report.queued == 1
    assert len(keys()) == 2
    assert any(key.endswith(":2026-12-05T15:00:00+00:00:14") for key in keys())


def test_no_reminder_when_reminder_days_are_empty_or_the_program_is_not_open(
    company: Company,
) -> None:
    quiet = moscow_program(slug="quiet", reminder_offsets=[])
    draft(company, quiet)
    closed = ProgramFactory(status=Program.Status.CLOSED)
    StageFactory(program=closed, order=0, closes_at=DEADLINE)
    draft(company, closed)

    report = send_reminders(now=at(DEADLINE, days=1))

    assert report.queued == 0
    assert Notification.objects.count() == 0


def test_only_the_application_stage_deadline_is_reminded(
    program: Program, company: Company
) -> None:
    draft(company, program)
    review_deadline = application_stage(program).closes_at + datetime.timedelta(days=2)  # type: ignore[operator]

    report = send_reminders(now=at(review_deadline, days=1))  # after the application deadline

    assert report.queued == 0


def test_a_withdrawn_draft_does_not_count(program: Program, company: Company) -> None:
    draft(company, program, status=Application.Status.WITHDRAWN)

    report = send_reminders(now=at(DEADLINE, days=3))

    assert report.queued == 0


def test_inactive_and_unverified_members_are_not_mailed(program: Program, company: Company) -> None:
    member(company, "gone@acme.test", is_active=False)
    member(company, "unverified@acme.test", email_verified_at=None)
    draft(company, program)

    send_reminders(now=at(DEADLINE, days=3))

    assert [row.to_email for row in rows()] == ["owner@acme.test"]


def test_a_member_who_switched_reminders_off_gets_no_row(
    program: Program, company: Company
) -> None:
    colleague = member(company, "colleague@acme.test")
    EmailOptOut.objects.create(user=colleague, kind=Kind.DEADLINE_REMINDER)
    draft(company, program)

    report = send_reminders(now=at(DEADLINE, days=3))

    assert [row.to_email for row in rows()] == ["owner@acme.test"]
    assert report.unsubscribed == 1
    assert not Notification.objects.filter(recipient=colleague).exists()


def test_followers_matched_eligible_who_have_not_applied_are_reminded(program: Program) -> None:
    # given four companies matched to the program, each with a member following it
    fits = make_company("Fits", owner="owner@fits.test", score=False)
    applied = make_company("Applied", owner="owner@applied.test", score=False)
    incomplete = make_company("Incomplete", owner="owner@incomplete.test", score=False)
    silent = make_company("Silent", owner="owner@silent.test", score=False)
    for company, eligibility in (
        (fits, "eligible"),
        (applied, "eligible"),
        (incomplete, "incomplete"),
        (silent, "eligible"),
    ):
        store_match(company, program, eligibility, 80)
        if company is not silent:
            Follow.objects.create(user=owner_of(company), program=program)
    submit(applied, program)

    # when
    report = send_reminders(now=at(DEADLINE, days=3))

    # then only the follower of the eligible company that has not applied hears of it
    assert (report.queued, report.followers, report.drafts) == (1, 1, 0)
    (row,) = rows()
    assert row.to_email == "owner@fits.test"
    assert "You are eligible: Fits fits the program, and has not applied." in row.body_text
    assert "http://127.0.0.1:8000/programs/moscow-pilots/" in row.body_text


def test_a_follower_whose_company_withdrew_a_draft_is_reminded_as_not_applied(
    program: Program, company: Company
) -> None:
    store_match(company, program, "eligible", 70)
    Follow.objects.create(user=owner_of(company), program=program)
    draft(company, program, status=Application.Status.WITHDRAWN)

    report = send_reminders(now=at(DEADLINE, days=3))

    assert (report.followers, report.drafts) == (1, 0)


def test_a_follower_with_a_draft_gets_one_mail_about_the_draft(
    program: Program, company: Company
) -> None:
    store_match(company, program, "eligible", 70)
    Follow.objects.create(user=owner_of(company), program=program)
    draft(company, program)

    report = send_reminders(now=at(DEADLINE, days=3))

    assert (report.queued, report.drafts, report.followers) == (1, 1, 0)
    assert "You are eligible" not in rows()[0].body_text


# --- what the reminder says ----------------------------------------------------------------------


def test_the_reminder_lists_what_the_draft_still_lacks_and_links_to_it(
    program: Program, settings: Any
) -> None:
    # given a draft by a Taiwanese company whose owner reads in Taipei time, to a program that
    # wants a Russian company and an answer to one required question
    settings.SITE_URL = "https://pilots.example"
    add_criterion(program, label="Registered in Russia", groups=[[("country", "in", ["RU"])]])
    Question.objects.create(program=program, label="Describe the pilot", kind="long-text")
    Question.objects.create(
        program=program, label="Anything else?", kind="short-text", required=False
    )
    acme = make_company("Acme", owner="owner@acme.test", country="TW", score=False)
    User.objects.filter(email="owner@acme.test").update(time_zone="Asia/Taipei")
    application = draft(acme, program)

    # when
    send_reminders(now=at(DEADLINE, days=3))

    # then
    (row,) = rows()
    assert row.subject == "Moscow pilots: 3 days left to submit your application"
    body = row.body_text
    assert "The stage “Application” of Moscow pilots (Moscow Agency) closes soon." in body
    assert (
        "Closes Friday 4 December 2026, 18:00 (Europe/Moscow) — 23:00 in your time zone "
        "(Asia/Taipei)." in body
    )
    assert "3 days left." in body
    assert "Not met: Registered in Russia" in body
    assert "Answer the question “Describe the pilot”." in body
    assert "Anything else?" not in body
    link = "https://pilots.example" + reverse(
        "companies:application", args=[acme.pk, application.pk]
    )
    assert link in body
    assert f'href="{link}"' in row.body_html


def test_a_complete_draft_is_told_to_submit(program: Program, company: Company) -> None:
    draft(company, program)

    send_reminders(now=at(DEADLINE, days=1))

    (row,) = rows()
    assert "It has everything it needs: submit it before the deadline." in row.body_text
    assert row.subject == "Moscow pilots: 1 day left to submit your application"


def test_the_reminder_is_written_in_the_recipients_language(
    program: Program, company: Company
) -> None:
    User.objects.filter(email="owner@acme.test").update(language="ru")
    draft(company, program)

    send_reminders(now=at(DEADLINE, days=3))

    (row,) = rows()
    # Month and weekday names come from Django's own Russian catalog.
    assert "декабря" in row.body_text or "Декабрь" in row.body_text


# --- concurrency ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_queue_each_key_once(default_sectors: None) -> None:
    # given drafts of three companies and a follower
    program = moscow_program()
    companies = [
        make_company(f"Company {n}", owner=f"owner{n}@example.test", score=False) for n in range(3)
    ]
    for company in companies:
        draft(company, program)
    fits = make_company("Fits", owner="owner@fits.test", score=False)
    store_match(fits, program, "eligible", 90)
    Follow.objects.create(user=owner_of(fits), program=program)
    now = at(DEADLINE, days=3)
    barrier = threading.Barrier(2)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            barrier.wait()
            reports.append(send_reminders(now=now))
        except BaseException as error:  # collected for the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    # when two beats tick at the same moment
    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then each recipient's reminder is queued once, by one tick or the other
    assert errors == []
    assert Notification.objects.count() == 4
    assert sum(report.queued for report in reports) == 4
    assert sum(report.already_sent for report in reports) == 4


# --- a moved deadline ----------------------------------------------------------------------------


def test_a_moved_deadline_mails_the_drafters_only_with_old_and_new(
    program: Program, company: Company
) -> None:
    # given a draft, a follower who fits, a withdrawn draft and the staff member moving it
    draft(company, program)
    fits = make_company("Fits", owner="owner@fits.test", score=False)
    store_match(fits, program, "eligible", 80)
    Follow.objects.create(user=owner_of(fits), program=program)
    gone = make_company("Gone", owner="owner@gone.test", score=False)
    draft(gone, program, status=Application.Status.WITHDRAWN)
    staff = UserFactory(email="admin@moscow.test")
    stage = application_stage(program)
    old = stage.closes_at
    stage.closes_at = DEADLINE + datetime.timedelta(days=7)
    stage.save()

    # when
    queued = notify_deadline_changed(stage, old, staff)

    # then
    assert queued == 1
    (row,) = rows()
    assert (row.to_email, row.kind) == ("owner@acme.test", Kind.DEADLINE_CHANGED)
    assert row.subject == "Moscow pilots: the application deadline moved later"
    assert "Was: Friday 4 December 2026, 18:00 (Europe/Moscow)" in row.body_text
    assert "Now: Friday 11 December 2026, 18:00 (Europe/Moscow)" in row.body_text


def test_an_earlier_deadline_says_so(program: Program, company: Company) -> None:
    draft(company, program)
    User.objects.filter(email="owner@acme.test").update(time_zone="Asia/Taipei")
    stage = application_stage(program)
    old = stage.closes_at
    stage.closes_at = DEADLINE - datetime.timedelta(days=2)
    stage.save()

    notify_deadline_changed(stage, old, None)

    (row,) = rows()
    assert row.subject == "Moscow pilots: the application deadline moved earlier"
    assert "(Europe/Moscow) — 23:00 in your time zone (Asia/Taipei)" in row.body_text
    assert "The deadline is earlier than before" in row.body_text


def test_an_unmoved_deadline_or_another_stage_mails_nobody(
    program: Program, company: Company
) -> None:
    draft(company, program)
    stage = application_stage(program)
    review = Stage.objects.get(program=program, order=1)
    old_review = review.closes_at
    review.closes_at = DEADLINE + datetime.timedelta(days=5)
    review.save()

    assert notify_deadline_changed(stage, stage.closes_at, None) == 0
    assert notify_deadline_changed(review, old_review, None) == 0
    assert Notification.objects.count() == 0


# --- the digest ----------------------------------------------------------------------------------

NOW = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def matched() -> Callable[..., User]:
    """A user whose company is matched eligible to a new open program, with their digest."""
    counter = iter(range(100))

    def make(digest: str, *, sent: datetime.datetime | None = None, programs: int = 1) -> User:
        n = next(counter)
        company = make_company(f"Vendor {n}", owner=f"vendor{n}@example.test", score=False)
        for p in range(programs):
            program = ProgramFactory(title=f"Program {n}.{p}")
            StageFactory(program=program, order=0, closes_at=NOW + datetime.timedelta(days=20))
            store_match(company, program, "eligible", 60 + p)
        user = owner_of(company)
        User.objects.filter(pk=user.pk).update(digest=digest, digest_sent_at=sent)
        user.refresh_from_db()
        return user

    return make


def test_a_digest_lists_new_matching_programs_once(matched: Callable[..., User]) -> None:
    user = matched(User.Digest.WEEKLY, programs=2)

    first = send_digests(now=NOW)
    again = send_digests(now=NOW + datetime.timedelta(days=8))

    assert (first.queued, first.programs) == (1, 2)
    assert again.queued == 0  # nothing new since
    (row,) = rows()
    assert row.key == f"new-matches:user:{user.pk}:2026-11-30"
    assert row.kind == Kind.NEW_MATCHES
    assert row.subject == "2 new programs fit your companies"
    assert "Program 0.1 — " in row.body_text
    assert "score 61 of 100" in row.body_text
    assert ProgramAnnouncement.objects.filter(user=user).count() == 2
    user.refresh_from_db()
    assert user.digest_sent_at == NOW


def test_a_daily_digest_waits_a_day_and_a_weekly_one_a_week(
    matched: Callable[..., User],
) -> None:
    daily = matched(User.Digest.DAILY, sent=NOW - datetime.timedelta(hours=23))
    weekly = matched(User.Digest.WEEKLY, sent=NOW - datetime.timedelta(days=6))
    never = matched(User.Digest.OFF)

    assert send_digests(now=NOW).queued == 0
    report = send_digests(now=NOW + datetime.timedelta(hours=1))
    assert [row.recipient for row in rows()] == [daily]
    assert report.queued == 1
    send_digests(now=NOW + datetime.timedelta(days=1))
    assert {row.recipient for row in rows()} == {daily, weekly}
    send_digests(now=NOW + datetime.timedelta(days=30))
    assert not Notification.objects.filter(recipient=never).exists()


def test_a_user_who_switched_digests_off_by_unsubscribing_gets_nothing(
    matched: Callable[..., User],
) -> None:
    user = matched(User.Digest.DAILY)
    EmailOptOut.objects.create(user=user, kind=Kind.NEW_MATCHES)

    send_digests(now=NOW)

    assert Notification.objects.count() == 0
    assert ProgramAnnouncement.objects.count() == 0


def test_a_digest_skips_closed_programs_and_weaker_matches(matched: Callable[..., User]) -> None:
    user = matched(User.Digest.DAILY, programs=2)
    Program.objects.filter(title="Program 0.0").update(status=Program.Status.CLOSED)
    company = Company.objects.get(memberships__user=user)
    incomplete = ProgramFactory(title="Incomplete")
    store_match(company, incomplete, "incomplete", 90)

    send_digests(now=NOW)

    (row,) = rows()
    assert row.subject == "A new program fits your company"
    assert "Program 0.1" in row.body_text
    assert "Program 0.0" not in row.body_text
    assert "Incomplete" not in row.body_text


def test_the_digests_reads_do_not_grow_with_programs_or_users(
    matched: Callable[..., User],
) -> None:
    def selection_queries() -> int:
        from programs.reminders.digests import _new_matches, _programs, due_users

        with CaptureQueriesContext(connection) as queries:
            users = due_users(NOW)
            best = _new_matches(users)
            _programs({pid for matches in best.values() for pid in matches}, NOW)
        return len(queries)

    matched(User.Digest.DAILY, programs=1)
    few = selection_queries()
    for _ in range(3):
        matched(User.Digest.WEEKLY, programs=3)
    many = selection_queries()

    # due users, eligible matches, memberships, announcements, programs with next deadline
    assert few == many == 5


# --- the command ---------------------------------------------------------------------------------


def test_the_command_queues_once_and_says_what_it_did(company: Company) -> None:
    program = moscow_program(
        deadline=timezone.now() + datetime.timedelta(days=2), slug="soon", title="Soon"
    )
    draft(company, program)
    fits = make_company("Fits", owner="owner@fits.test", score=False)
    store_match(fits, program, "eligible", 80)
    Follow.objects.create(user=owner_of(fits), program=program)

    def run() -> str:
        out = io.StringIO()
        call_command("send_reminders", stdout=out)
        return out.getvalue().strip()

    assert run() == "2 reminders queued (1 drafts, 1 followers); 0 already sent."
    assert run() == "0 reminders queued (0 drafts, 0 followers); 2 already sent."
    assert Notification.objects.filter(kind=Kind.DEADLINE_REMINDER).count() == 2


def test_the_task_runs_one_tick(program: Program, company: Company) -> None:
    from programs.tasks import send_reminders_task

    draft(company, program)
    stage = application_stage(program)
    stage.closes_at = timezone.now() + datetime.timedelta(hours=5)
    stage.save()

    assert send_reminders_task.run()["queued"] == 1
    assert send_reminders_task.run()["already_sent"] == 1
    assert send_reminders_task.name == "programs.send_reminders"


def test_the_command_with_send_delivers_to_the_mail_folder_once(
    company: Company, settings: Any, tmp_path: Any
) -> None:
    # As on a bare machine without a worker: the file backend writes one file per message.
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    program = moscow_program(
        deadline=timezone.now() + datetime.timedelta(days=2, hours=12), slug="soon", title="Soon"
    )
    draft(company, program)

    first = io.StringIO()
    call_command("send_reminders", "--send", stdout=first)
    second = io.StringIO()
    call_command("send_reminders", "--send", stdout=second)

    assert first.getvalue().splitlines() == [
        "1 reminder queued (1 drafts, 0 followers); 0 already sent.",
        "Outbox: 1 sent, 0 to retry, 0 failed.",
    ]
    assert second.getvalue().splitlines()[0] == (
        "0 reminders queued (0 drafts, 0 followers); 1 already sent."
    )
    (message,) = [path.read_text() for path in tmp_path.iterdir()]
    assert "Subject: Soon: 3 days left to submit your application" in message
    assert "To: owner@acme.test" in message
    assert Notification.objects.get().status == Notification.Status.SENT


def test_the_digest_task_runs_one_tick(matched: Callable[..., User]) -> None:
    from programs.tasks import send_digests_task

    matched(User.Digest.DAILY)

    assert send_digests_task.run() == {"users": 1, "queued": 1, "programs": 1}
    assert send_digests_task.run() == {"users": 0, "queued": 0, "programs": 0}
    assert send_digests_task.name == "programs.send_digests"
