"""The audit log: changes to rules, stages, deadlines, decisions and memberships are recorded with
who made them, when, and their values before and after; agency admins read them on a program's
history page and their team's."""

import datetime
import re
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.urls import reverse

from applicants.applications import application_start, application_submit, application_withdraw
from applicants.models import Application, User
from matchmaker.services import chunk_score, companies_score, run_start
from programs import team
from programs.audit import record_update
from programs.models import (
    Agency,
    Criterion,
    Program,
    Requirement,
    StaffMembership,
    Stage,
)
from programs.rule_builder import criterion_delete
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, add_criterion
from tests.staff import make_company, make_staff, owner_of, submit

pytestmark = pytest.mark.django_db

ADMIN, REVIEWER = StaffMembership.Role.ADMIN, StaffMembership.Role.REVIEWER


@pytest.fixture
def program() -> Program:
    """A Taipei program with two stages and a gate on TRL."""
    agency = AgencyFactory(slug="taipei", name="Taipei Office", time_zone="Asia/Taipei")
    program = ProgramFactory(slug="taipei-poc", title="Taipei POC", owner=agency)
    StageFactory(program=program, order=0, name="Proof of concept")
    StageFactory(program=program, order=1, name="Small-scale pilot")
    add_criterion(program, label="Ready to pilot", groups=[[("trl", "gte", 5)]])
    return program


@pytest.fixture
def admin(program: Program) -> User:
    return make_staff("admin@taipei.example", program.owner)


@pytest.fixture
def signed_in(client: Client, admin: User) -> Client:
    client.force_login(admin)
    return client


def entries_for(model: type[models.Model], **filters: Any) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), **filters)
        .select_related("actor")
        .order_by("pk")
    )


def history_url(program: Program) -> str:
    return reverse("staff:history", kwargs={"slug": program.slug})


def team_history_url(agency: Agency) -> str:
    return reverse("staff:team-history", kwargs={"agency": agency.slug})


def rows(html: str, *, when: bool = False) -> list[str]:
    """The history table's rows as plain text, newest first; without the time unless
    ``when``."""
    found = re.findall(r'<tr data-action="\w+">(.*?)</tr>', html, flags=re.S)
    if not when:
        found = [re.sub(r"<time .*?</time>", "", row, flags=re.S) for row in found]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in found]


def trl(program: Program) -> Requirement:
    return Requirement.objects.get(group__criterion__program=program, fact="trl")


# --- what is recorded ----------------------------------------------------------------------------


def test_a_rule_builder_edit_records_the_admin_and_the_requirement_before_and_after(
    signed_in: Client, program: Program, admin: User
) -> None:
    requirement = trl(program)
    before = LogEntry.objects.count()

    response = signed_in.post(
        reverse(
            "rules:requirement-edit",
            kwargs={"slug": program.slug, "requirement_pk": requirement.pk},
        ),
        {
            "requirement-fact": "trl",
            "requirement-operator": "gte",
            "requirement-value": "7",
            "action": "save",
        },
    )

    assert response.status_code == 302
    (edit,) = entries_for(Requirement, object_id=requirement.pk, action=LogEntry.Action.UPDATE)
    assert edit.changes == {"value": [5, 7]}
    assert (edit.actor, edit.actor_email) == (admin, "admin@taipei.example")
    assert edit.additional_data == {"program": program.pk}
    # Tied to the request's log lines by its request id (django-guid), not to a client address.
    assert edit.cid == response["X-Request-ID"]
    assert edit.remote_addr is None
    # The rules version the rescore runs under, bumped by a conditional update, is recorded too.
    (bump,) = entries_for(Program, object_id=program.pk, action=LogEntry.Action.UPDATE)
    assert (bump.changes, bump.actor) == ({"rules_version": [1, 2]}, admin)
    assert LogEntry.objects.count() == before + 2

    version, newest = rows(signed_in.get(history_url(program)).content.decode())[:2]
    assert "admin@taipei.example Requirement trl gte 7 changed Value : 5 → 7" in newest
    assert "Program Taipei POC changed Rules version : 1 → 2" in version


def test_advancing_an_application_records_its_stage_before_and_after(
    signed_in: Client, program: Program, admin: User
) -> None:
    application = submit(make_company("Curb Co"), program)

    response = signed_in.post(
        reverse("staff:application-advance", args=[program.slug, application.pk]),
        {"stage": application.stage_id, "note": "Well done."},
    )

    assert response.status_code == 302
    advanced = entries_for(Application, object_id=application.pk)[-1]
    first, second = program.stages.order_by("order")
    assert advanced.changes == {"stage": [first.pk, second.pk]}
    assert advanced.actor == admin
    newest = rows(signed_in.get(history_url(program)).content.decode())[0]
    assert (
        "admin@taipei.example Application Curb Co → Taipei POC changed "
        "Current stage : Proof of concept → Small-scale pilot"
    ) in newest


def test_completing_and_declining_record_the_status_before_and_after(
    signed_in: Client, program: Program
) -> None:
    last = program.stages.get(order=1)
    done = submit(make_company("Done Co"), program)
    Application.objects.filter(pk=done.pk).update(stage=last)
    no = submit(make_company("No Co"), program)

    signed_in.post(
        reverse("staff:application-advance", args=[program.slug, done.pk]), {"stage": last.pk}
    )
    signed_in.post(
        reverse("staff:application-decline", args=[program.slug, no.pk]),
        {"stage": no.stage_id, "note": "Not now."},
    )

    assert entries_for(Application, object_id=done.pk)[-1].changes == {
        "status": ["submitted", "completed"]
    }
    assert entries_for(Application, object_id=no.pk)[-1].changes == {
        "status": ["submitted", "declined"]
    }
    declined, completed = rows(signed_in.get(history_url(program)).content.decode())[:2]
    assert "Status : Submitted → Declined" in declined
    assert "Status : Submitted → Completed" in completed


def test_a_draft_is_the_vendors_own_until_it_is_submitted(program: Program) -> None:
    company = make_company("Curb Co")
    user = owner_of(company)
    withdrawn = application_start(company=company, user=user, program=program)
    application_withdraw(application=withdrawn, user=user)
    restarted = application_start(company=company, user=user, program=program)
    assert entries_for(Application) == []  # started, withdrawn, started again: nobody saw it

    application_submit(application=restarted, user=user)
    application_withdraw(application=restarted, user=user, note="Changed our mind.")

    submitted, withdrawn_entry = entries_for(Application)
    first = program.stages.get(order=0)
    assert submitted.changes == {"status": ["draft", "submitted"], "stage": [None, first.pk]}
    assert withdrawn_entry.changes == {"status": ["submitted", "withdrawn"]}
    assert {submitted.actor, withdrawn_entry.actor} == {user}


def test_adding_changing_and_removing_a_team_member_shows_on_the_agency_history(
    signed_in: Client, program: Program, admin: User
) -> None:
    agency = program.owner
    colleague = make_staff(
        "colleague@taipei.example", AgencyFactory(slug="elsewhere", name="Elsewhere Office")
    )

    response = signed_in.post(
        reverse("staff:team", kwargs={"agency": agency.slug}),
        {"email": "colleague@taipei.example", "role": REVIEWER},
    )
    assert response.status_code == 302
    membership = StaffMembership.objects.get(user=colleague, agency=agency)
    signed_in.post(
        reverse("staff:team-role", kwargs={"agency": agency.slug, "pk": membership.pk}),
        {"role": ADMIN},
    )
    signed_in.post(
        reverse("staff:team-remove", kwargs={"agency": agency.slug, "pk": membership.pk})
    )

    removed, promoted, added = entries_for(StaffMembership, object_id=membership.pk)[::-1]
    assert added.changes == {"role": [None, "reviewer"]}
    assert promoted.changes == {"role": ["reviewer", "admin"]}
    assert removed.changes == {"role": ["admin", None]}
    assert {added.actor, promoted.actor, removed.actor} == {admin}
    shown = rows(signed_in.get(team_history_url(agency)).content.decode())
    assert shown[:3] == [
        "admin@taipei.example Staff membership colleague@taipei.example @ Taipei Office (Agency "
        "admin) deleted Role : Agency admin → —",
        "admin@taipei.example Staff membership colleague@taipei.example @ Taipei Office "
        "(Reviewer) changed Role : Reviewer → Agency admin",
        "admin@taipei.example Staff membership colleague@taipei.example @ Taipei Office "
        "(Reviewer) created Role : — → Reviewer",
    ]
    # The other agency's team changes (the colleague joined it) are not this agency's history.
    assert len(shown) == 4  # and the admin's own arrival, made by the fixture
    assert not any("Elsewhere Office" in row for row in shown)


def test_a_change_made_outside_a_request_is_the_systems(
    signed_in: Client, program: Program
) -> None:
    membership = StaffMembership.objects.get(user__email="admin@taipei.example")
    reviewer = make_staff("reviewer@taipei.example", program.owner, REVIEWER)
    team.member_set_role(
        membership=StaffMembership.objects.get(user=reviewer, agency=program.owner), role=ADMIN
    )

    entry = entries_for(StaffMembership)[-1]
    assert (entry.actor, entry.actor_email, entry.changes) == (
        None,
        None,
        {"role": ["reviewer", "admin"]},
    )
    newest = rows(signed_in.get(team_history_url(membership.agency)).content.decode())[0]
    assert newest.startswith("System Staff membership reviewer@taipei.example")


def test_a_guarded_update_that_changed_nothing_records_nothing(program: Program) -> None:
    before = LogEntry.objects.count()

    assert record_update(program, {"status": ("open", "open")}) is None
    assert LogEntry.objects.count() == before


def test_removed_rules_stay_in_the_history_with_what_they_were(
    signed_in: Client, program: Program
) -> None:
    criterion = program.criteria.get()

    criterion_delete(criterion=criterion)

    deleted = {
        entry.content_type.model: entry.changes
        for entry in LogEntry.objects.filter(
            additional_data__program=program.pk, action=LogEntry.Action.DELETE
        )
    }
    assert deleted == {
        "criterion": {
            "kind": ["gate", None],
            "label": ["Ready to pilot", None],
            "weight": ["1.00", None],
            "help_text": ["", None],
            "order": [0, None],
        },
        "requirementgroup": {"order": [0, None]},
        "requirement": {
            "fact": ["trl", None],
            "operator": ["gte", None],
            "value": [5, None],
            "hint": ["", None],
            "order": [0, None],
        },
    }
    html = signed_in.get(history_url(program)).content.decode()
    assert "Criterion Ready to pilot deleted Kind : Eligibility gate → —" in " ".join(rows(html))


def test_deadlines_are_shown_in_the_programs_time_zone(signed_in: Client, program: Program) -> None:
    stage = program.stages.get(order=0)
    stage.closes_at = datetime.datetime(2031, 3, 1, 16, 0, tzinfo=datetime.UTC)
    stage.save(update_fields=["closes_at", "updated_at"])
    entry = entries_for(Stage, object_id=stage.pk)[-1]
    # When it happened, in Taipei (UTC+8) too.
    LogEntry.objects.filter(pk=entry.pk).update(
        timestamp=datetime.datetime(2030, 1, 1, 20, 30, tzinfo=datetime.UTC)
    )

    newest = rows(signed_in.get(history_url(program)).content.decode(), when=True)[0]

    assert newest.startswith("01/02/2030 4:30 a.m. System Stage Taipei POC: Proof of concept")
    # 16:00 UTC is midnight in Taipei, the next day.
    assert newest.endswith("→ 03/02/2031 midnight"), newest


def test_another_programs_changes_are_not_in_this_programs_history(
    signed_in: Client, program: Program
) -> None:
    other = ProgramFactory(slug="other", title="Other program", owner=program.owner)
    StageFactory(program=other, name="Elsewhere stage")

    html = signed_in.get(history_url(program)).content.decode()

    assert "Taipei POC" in html
    assert "Other program" not in html and "Elsewhere stage" not in html


# --- who sees it ---------------------------------------------------------------------------------


def test_another_agencys_admin_gets_404_and_a_reviewer_403_on_the_history_pages(
    client: Client, program: Program
) -> None:
    moscow = AgencyFactory(slug="moscow", time_zone="Europe/Moscow")
    intruder = make_staff("admin@moscow.example", moscow)
    reviewer = make_staff("reviewer@taipei.example", program.owner, REVIEWER)
    urls = [history_url(program), team_history_url(program.owner)]

    client.force_login(intruder)
    assert [client.get(url).status_code for url in urls] == [404, 404]
    client.force_login(reviewer)
    assert [client.get(url).status_code for url in urls] == [403, 403]


def test_the_dashboard_links_admins_to_the_history(
    signed_in: Client, client: Client, program: Program
) -> None:
    dashboard = reverse("staff:dashboard", kwargs={"slug": program.slug})

    assert history_url(program) in signed_in.get(dashboard).content.decode()
    client.force_login(make_staff("reviewer@taipei.example", program.owner, REVIEWER))
    assert history_url(program) not in client.get(dashboard).content.decode()


# --- the page ------------------------------------------------------------------------------------


def _changes(program: Program, count: int) -> None:
    """``count`` entries about the program; the newest moves an application between stages."""
    stage = program.stages.get(order=0)
    LogEntry.objects.all().delete()
    for number in range(count - 1):
        stage.max_participants = number + 10
        stage.save(update_fields=["max_participants", "updated_at"])
    application = submit(make_company("Curb Co"), program)
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Application)).delete()
    record_update(application, {"stage": (stage, program.stages.get(order=1))})


@pytest.mark.parametrize("count", [5, 30])
def test_the_history_page_makes_a_fixed_number_of_queries(
    signed_in: Client, program: Program, django_assert_num_queries: Any, count: int
) -> None:
    _changes(program, count)
    url = history_url(program)
    signed_in.get(url)  # the first visit writes the session's workspace flag

    # session, user; tenancy: the user's roles in their agencies, the program among theirs
    # (their role there follows from the owner's); the history: the count, the page (with each
    # entry's content type), the names of the stages the page's changes name.
    with django_assert_num_queries(7):
        response = signed_in.get(url)

    assert response.status_code == 200
    shown = rows(response.content.decode())
    assert len(shown) == min(count, 25)
    assert "Current stage : Proof of concept → Small-scale pilot" in shown[0]


def test_the_history_is_paginated_newest_first(signed_in: Client, program: Program) -> None:
    _changes(program, 30)

    first = rows(signed_in.get(history_url(program)).content.decode())
    second = rows(signed_in.get(history_url(program) + "?page=2").content.decode())

    assert (len(first), len(second)) == (25, 5)
    assert "Maximum participants : 37 → 38" in first[1]
    assert "Maximum participants : — → 10" in second[-1]


def test_the_team_history_page_makes_a_fixed_number_of_queries(
    signed_in: Client, program: Program, django_assert_num_queries: Any
) -> None:
    for number in range(5):
        make_staff(f"reviewer{number}@taipei.example", program.owner, REVIEWER)
    url = team_history_url(program.owner)
    signed_in.get(url)

    # session, user; tenancy: the user's roles in their agencies, the agency; the history: the
    # count, the page (with each entry's content type).
    with django_assert_num_queries(6):
        response = signed_in.get(url)

    assert len(rows(response.content.decode())) == 6


# --- what is not recorded ------------------------------------------------------------------------


def test_scoring_writes_no_audit_log_entries(program: Program) -> None:
    companies = [make_company(f"Company {number}", score=False) for number in range(3)]
    before = LogEntry.objects.count()

    companies_score(company_ids=[company.pk for company in companies])
    started = run_start(program_id=program.pk, enqueue=False)
    for chunk in started.chunks:
        chunk_score(chunk_id=chunk.pk)

    assert LogEntry.objects.count() == before
    program.refresh_from_db()
    assert program.scored_rules_version == program.rules_version  # the rescore did run


def test_timestamps_and_scoring_bookkeeping_are_not_audited(program: Program) -> None:
    before = LogEntry.objects.count()
    program.scored_rules_version = 7
    program.save()
    criterion = Criterion.objects.get(program=program)
    criterion.save()

    assert LogEntry.objects.count() == before
