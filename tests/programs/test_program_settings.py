"""A program's settings page (``staff:settings``) and its service: stage dates in the program's
time zone, maximum participants, reminder days; a moved deadline mails the drafters."""

import datetime
import zoneinfo
from typing import Any
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from applicants.models import Application, Company, User
from matchmaker.models import Notification
from programs.models import Program, StaffMembership, Stage
from programs.reminders.schedule import StageSchedule, program_schedule_update
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, UserFactory
from tests.staff import make_company, make_staff, owner_of

pytestmark = pytest.mark.django_db

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
UTC = datetime.UTC


def local(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=MOSCOW)  # type: ignore[misc]


@pytest.fixture
def program() -> Program:
    agency = AgencyFactory(
        slug="moscow-agency",
        name="Moscow Agency",
        city="Moscow",
        country="RU",
        time_zone="Europe/Moscow",
    )
    program = ProgramFactory(slug="moscow-pilots", title="Moscow pilots", owner=agency)
    StageFactory(
        program=program,
        order=0,
        name="Application",
        opens_at=local(2026, 11, 1, 9, 0),
        closes_at=local(2026, 12, 4, 18, 0),
    )
    StageFactory(
        program=program,
        order=1,
        name="Pitch",
        opens_at=local(2026, 12, 5, 9, 0),
        closes_at=local(2026, 12, 20, 18, 0),
        max_participants=10,
    )
    return program


@pytest.fixture
def admin(program: Program) -> User:
    return make_staff("admin@moscow.example", program.owner)


@pytest.fixture
def drafter(program: Program) -> Company:
    company = make_company("Acme", owner="owner@acme.test", country="RU", score=False)
    Application.objects.create(company=company, program=program, created_by=owner_of(company))
    return company


def url(program: Program) -> str:
    return reverse("staff:settings", args=[program.slug])


def stages(program: Program) -> list[Stage]:
    return list(Stage.objects.filter(program=program).order_by("order"))


def form_data(program: Program, **changes: str) -> dict[str, str]:
    """The form as the page shows it, with ``changes`` (field name → value) on top."""
    data = {"reminder_days": ", ".join(str(days) for days in program.reminder_offsets)}
    for stage in stages(program):
        for name in ("opens_at", "closes_at"):
            value = getattr(stage, name)
            data[f"stage_{stage.pk}_{name}"] = (
                value.astimezone(program.time_zone).strftime("%Y-%m-%dT%H:%M") if value else ""
            )
        data[f"stage_{stage.pk}_max_participants"] = str(stage.max_participants or "")
    data.update(changes)
    return data


def snapshot(program: Program) -> list[Any]:
    program.refresh_from_db()
    return [
        program.rules_version,
        program.reminder_offsets,
        [(s.opens_at, s.closes_at, s.max_participants, s.updated_at) for s in stages(program)],
    ]


# --- access --------------------------------------------------------------------------------------


def test_an_agency_admin_sees_the_dates_in_the_programs_time_zone(
    client: Client, program: Program, admin: User
) -> None:
    client.force_login(admin)

    response = client.get(url(program))

    assert response.status_code == 200
    page = response.content.decode()
    application, pitch = stages(program)
    assert f'name="stage_{application.pk}_closes_at" value="2026-12-04T18:00"' in page
    assert f'name="stage_{pitch.pk}_max_participants" value="10"' in page
    assert 'name="reminder_days" value="14, 3, 1"' in page
    assert "Europe/Moscow" in page


def test_the_dashboard_links_admins_to_the_settings(
    client: Client, program: Program, admin: User
) -> None:
    reviewer = make_staff("reviewer@moscow.example", program.owner, StaffMembership.Role.REVIEWER)
    dashboard = reverse("staff:dashboard", args=[program.slug])

    client.force_login(admin)
    assert url(program) in client.get(dashboard).content.decode()
    client.force_login(reviewer)
    assert url(program) not in client.get(dashboard).content.decode()


def test_a_buyer_agencys_admin_may_edit_the_settings(client: Client, program: Program) -> None:
    buyer = AgencyFactory(slug="buyer", time_zone="Europe/Berlin")
    program.buyers.add(buyer)
    client.force_login(make_staff("admin@buyer.example", buyer))

    assert client.get(url(program)).status_code == 200


def test_reviewers_vendors_and_other_agencies_are_refused_and_change_nothing(
    client: Client, program: Program
) -> None:
    before = snapshot(program)
    body = form_data(program, reminder_days="2")
    reviewer = make_staff("reviewer@moscow.example", program.owner, StaffMembership.Role.REVIEWER)
    other = make_staff("admin@taipei.example", AgencyFactory(slug="taipei"))
    vendor = UserFactory(email="vendor@example.com")

    for user, status in ((reviewer, 403), (other, 404), (vendor, 403)):
        client.force_login(user)
        assert client.get(url(program)).status_code == status
        assert client.post(url(program), body).status_code == status
    client.logout()
    response = client.post(url(program), body)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert snapshot(program) == before


# --- saving --------------------------------------------------------------------------------------


def test_moving_the_deadline_saves_it_in_local_time_rescores_and_mails_the_drafters(
    client: Client,
    program: Program,
    admin: User,
    drafter: Company,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given
    client.force_login(admin)
    application = stages(program)[0]
    version = program.rules_version
    body = form_data(program, **{f"stage_{application.pk}_closes_at": "2026-12-11T18:00"})

    # when
    with (
        mock.patch("matchmaker.tasks.score_program_task.delay") as rescore,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(url(program), body)

    # then
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.closes_at == datetime.datetime(2026, 12, 11, 15, 0, tzinfo=UTC)
    program.refresh_from_db()
    assert program.rules_version == version + 1
    rescore.assert_called_once_with(program.pk)
    (mail,) = Notification.objects.filter(kind=Notification.Kind.DEADLINE_CHANGED)
    assert mail.recipient == owner_of(drafter)
    assert "Was: Friday 4 December 2026, 18:00 (Europe/Moscow)" in mail.body_text
    assert "Now: Friday 11 December 2026, 18:00 (Europe/Moscow)" in mail.body_text
    assert Notification.objects.filter(recipient=admin).count() == 0
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Saved. The application deadline moved: 1 member of a company with a draft is told by "
        "email."
    ]


def test_changing_only_the_reminder_days_saves_them_without_a_rescore(
    client: Client, program: Program, admin: User, drafter: Company
) -> None:
    client.force_login(admin)
    version = program.rules_version

    with mock.patch("matchmaker.tasks.score_program_task.delay") as rescore:
        response = client.post(url(program), form_data(program, reminder_days="1 7 7"))

    assert response.status_code == 302
    program.refresh_from_db()
    assert program.reminder_offsets == [7, 1]
    assert program.rules_version == version
    rescore.assert_not_called()
    assert Notification.objects.count() == 0


def test_a_later_stages_size_and_dates_rescore_but_mail_nobody(
    client: Client, program: Program, admin: User, drafter: Company
) -> None:
    client.force_login(admin)
    pitch = stages(program)[1]
    version = program.rules_version

    response = client.post(
        url(program),
        form_data(
            program,
            **{
                f"stage_{pitch.pk}_closes_at": "2026-12-22T18:00",
                f"stage_{pitch.pk}_max_participants": "",
            },
        ),
    )

    assert response.status_code == 302
    pitch.refresh_from_db()
    assert pitch.max_participants is None
    assert pitch.closes_at == datetime.datetime(2026, 12, 22, 15, 0, tzinfo=UTC)
    program.refresh_from_db()
    assert program.rules_version == version + 1
    assert Notification.objects.count() == 0


def test_saving_the_form_unchanged_changes_nothing(
    client: Client, admin: User, drafter: Company
) -> None:
    # A stored deadline with seconds, which the minute-precise input cannot show.
    program = Program.objects.get(slug="moscow-pilots")
    Stage.objects.filter(program=program, order=0).update(
        closes_at=datetime.datetime(2026, 12, 4, 15, 0, 42, 123, tzinfo=UTC)
    )
    client.force_login(admin)
    before = snapshot(program)

    response = client.post(url(program), form_data(program))

    assert response.status_code == 302
    assert snapshot(program) == before
    assert Notification.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"closes_at": "2026-10-01T18:00"},
            "closes_at",
            "Application must close after it opens.",
        ),
        ({"closes_at": "next friday"}, "closes_at", "Enter a valid date/time."),
        (
            {"pitch_opens_at": "2026-10-01T09:00"},
            "pitch_opens_at",
            "Pitch cannot open before the stage before it, Application, opens.",
        ),
        (
            {"closes_at": "2026-12-30T18:00"},
            "pitch_closes_at",
            "Pitch cannot close before the stage before it, Application, closes.",
        ),
        ({"reminder_days": "14, three"}, "reminder_days", "Give whole numbers of days"),
        ({"reminder_days": "0, 3"}, "reminder_days", "between 1 and 90 days"),
        ({"reminder_days": "120"}, "reminder_days", "between 1 and 90 days"),
        ({"pitch_max_participants": "0"}, "pitch_max_participants", "greater than or equal to 1"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(
    client: Client,
    program: Program,
    admin: User,
    drafter: Company,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    client.force_login(admin)
    application, pitch = stages(program)
    names = {
        "closes_at": f"stage_{application.pk}_closes_at",
        "pitch_opens_at": f"stage_{pitch.pk}_opens_at",
        "pitch_closes_at": f"stage_{pitch.pk}_closes_at",
        "pitch_max_participants": f"stage_{pitch.pk}_max_participants",
        "reminder_days": "reminder_days",
    }
    before = snapshot(program)

    response = client.post(
        url(program), form_data(program, **{names[k]: v for k, v in changes.items()})
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[names[field]])
    assert snapshot(program) == before
    assert Notification.objects.count() == 0


def test_a_local_time_skipped_by_daylight_saving_is_refused(client: Client) -> None:
    berlin = AgencyFactory(slug="berlin", city="Berlin", country="DE", time_zone="Europe/Berlin")
    program = ProgramFactory(owner=berlin)
    stage = StageFactory(program=program, order=0)
    client.force_login(make_staff("admin@berlin.example", berlin))

    response = client.post(
        url(program), form_data(program, **{f"stage_{stage.pk}_closes_at": "2027-03-28T02:30"})
    )

    assert response.status_code == 400
    assert "Europe/Berlin" in " ".join(
        response.context["form"].errors[f"stage_{stage.pk}_closes_at"]
    )


def test_the_form_sets_nothing_but_its_fields(
    client: Client, program: Program, admin: User
) -> None:
    client.force_login(admin)
    program.refresh_from_db()
    before = (program.rules_version, program.status, program.slug, program.title, program.owner_id)

    client.post(
        url(program),
        {
            **form_data(program),
            "status": "archived",
            "slug": "taken",
            "title": "Taken over",
            "rules_version": "99",
            "owner": "1",
        },
    )

    program.refresh_from_db()
    assert (
        program.rules_version,
        program.status,
        program.slug,
        program.title,
        program.owner_id,
    ) == before


# --- the service ---------------------------------------------------------------------------------


def test_the_service_refuses_a_stage_of_another_program(program: Program, admin: User) -> None:
    other = StageFactory()

    with pytest.raises(ValidationError):
        program_schedule_update(
            program=program,
            actor=admin,
            stages=[StageSchedule(other.pk, None, None, None)],
            reminder_offsets=[3],
        )

    other.refresh_from_db()
    assert other.closes_at is not None


def test_a_stage_change_rescores_the_program_after_commit(
    program: Program, admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    application = stages(program)[0]

    with mock.patch("matchmaker.tasks.score_program_task.delay") as rescore:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            change = program_schedule_update(
                program=program,
                actor=admin,
                stages=[
                    StageSchedule(
                        application.pk, application.opens_at, local(2026, 12, 6, 18, 0), None
                    )
                ],
                reminder_offsets=[14, 3, 1],
            )
        assert rescore.call_count == 0
        for callback in callbacks:
            callback()

    rescore.assert_called_once_with(program.pk)
    assert change.stages == ("Application",)
    assert change.deadlines_moved == ("Application",)
    assert change.rules_version == program.rules_version + 1


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_stages(
    client: Client, program: Program, admin: User, django_assert_num_queries: Any
) -> None:
    client.force_login(admin)
    client.get(url(program))  # the session settles on the first visit

    for more in (0, 4):
        for order in range(2, 2 + more):
            StageFactory(program=program, order=order, opens_at=None, closes_at=None)
        # session, user; tenancy: the user's roles in their agencies, the program among theirs
        # (an admin of its owner); the stages
        with django_assert_num_queries(5):
            assert client.get(url(program)).status_code == 200
