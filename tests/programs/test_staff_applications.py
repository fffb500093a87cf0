"""The staff's applications: the list, its CSV export, one application's page and documents."""

import csv
import datetime
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applicants import services
from applicants.models import Application, ApplicationEvent, Document, Review, User
from programs.models import Criterion, Program, Question, StaffMembership
from programs.reviews import review_assign, review_criteria, review_submit
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, add_criterion
from tests.staff import make_company, make_staff, owner_of, store_match, submit
from tests.vendors import TINY_PDF

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def program() -> Program:
    """A Taipei program with two stages and two award criteria (weights 3 and 1)."""
    program = ProgramFactory(
        slug="taipei-poc", title="Taipei POC", owner=AgencyFactory(slug="taipei-office")
    )
    StageFactory(program=program, order=0, name="Proof of concept")
    StageFactory(program=program, order=1, name="Small-scale pilot", max_participants=1)
    add_criterion(program, label="Domain", groups=[[("sectors", "overlaps", ["mobility"])]])
    add_criterion(
        program,
        label="Pilots",
        kind=Criterion.Kind.AWARD,
        weight=3,
        groups=[[("prior_pilots", "gte", 1)]],
    )
    add_criterion(
        program,
        label="Maturity",
        kind=Criterion.Kind.AWARD,
        weight=1,
        groups=[[("trl", "scale", [5, 9])]],
    )
    return program


@pytest.fixture
def admin(program: Program) -> User:
    return make_staff("admin@taipei.example", program.owner)


@pytest.fixture
def reviewer(program: Program) -> User:
    return make_staff("reviewer@taipei.example", program.owner, StaffMembership.Role.REVIEWER)


@pytest.fixture
def signed_in(client: Client, admin: User) -> Client:
    client.force_login(admin)
    return client


def applied(name: str, program: Program, *, days_ago: int = 0, **facts: Any) -> Application:
    company = make_company(name, **facts)
    return submit(company, program, submitted_at=timezone.now() - datetime.timedelta(days=days_ago))


def listed(response: Any) -> list[str]:
    return re.findall(
        r'<tr data-application="\d+">\s*<th scope="row"><a [^>]*>([^<]+)</a>',
        response.content.decode(),
    )


def list_url(program: Program) -> str:
    return reverse("staff:applications", args=[program.slug])


def scores(program: Program, pilots: int, maturity: int) -> dict[str, int]:
    keys = {criterion.label: criterion.key for criterion in review_criteria(program)}
    return {keys["Pilots"]: pilots, keys["Maturity"]: maturity}


def reviewed(
    application: Application, reviewer: User, admin: User, pilots: int, maturity: int
) -> Review:
    review = review_assign(application=application, reviewer=reviewer, assigned_by=admin)
    return review_submit(
        review=review,
        user=reviewer,
        scores=scores(application.program, pilots, maturity),
        comment="Scored.",
    )


# --- the list ------------------------------------------------------------------------------------


def test_the_list_shows_submitted_applications_newest_first_and_never_drafts(
    signed_in: Client, program: Program
) -> None:
    applied("Older", program, days_ago=3)
    applied("Newer", program, days_ago=1)
    Application.objects.create(
        company=make_company("Drafting"), program=program, status=Application.Status.DRAFT
    )

    response = signed_in.get(list_url(program))

    assert listed(response) == ["Newer", "Older"]
    assert "Drafting" not in response.content.decode()


def test_the_list_shows_the_mean_review_score_beside_the_automatic_score(
    signed_in: Client, program: Program, admin: User, reviewer: User
) -> None:
    application = applied("Curb Co", program, prior_pilots=2, trl=9)
    reviewed(application, reviewer, admin, pilots=8, maturity=4)  # (8*3 + 4*1) / 4 * 10 = 70
    reviewed(application, admin, admin, pilots=10, maturity=10)  # 100

    response = signed_in.get(list_url(program))

    row = response.context["rows"][0]
    assert (row.auto_score, row.review_score, row.reviews) == (100.0, 85.0, 2)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "declined"}, ["Declined Co"]),
        ({"eligibility": "incomplete"}, ["Unsure Co"]),
        ({"sort": "company"}, ["Declined Co", "Fit Co", "Unsure Co"]),
        ({"sort": "oldest"}, ["Fit Co", "Unsure Co", "Declined Co"]),
        ({"sort": "score"}, ["Fit Co", "Declined Co", "Unsure Co"]),
    ],
)
def test_the_list_filters_and_sorts(
    signed_in: Client, program: Program, filters: dict[str, str], expected: list[str]
) -> None:
    applied("Fit Co", program, days_ago=3, prior_pilots=2, trl=9)
    unsure = applied("Unsure Co", program, days_ago=2, trl=5)
    Application.objects.filter(pk=unsure.pk).update(
        eligibility_at_submission={**unsure.eligibility_at_submission, "eligibility": "incomplete"}
    )
    declined = applied("Declined Co", program, days_ago=1, prior_pilots=1, trl=5)
    Application.objects.filter(pk=declined.pk).update(status=Application.Status.DECLINED)

    assert listed(signed_in.get(list_url(program), filters)) == expected


def test_the_list_filters_by_stage(signed_in: Client, program: Program) -> None:
    applied("At POC", program)
    moved = applied("At pilot", program)
    pilot = program.stages.get(order=1)
    Application.objects.filter(pk=moved.pk).update(stage=pilot)

    assert listed(signed_in.get(list_url(program), {"stage": pilot.pk})) == ["At pilot"]


def test_another_programs_stage_is_not_a_valid_filter(signed_in: Client, program: Program) -> None:
    applied("At POC", program)
    elsewhere = StageFactory(program=ProgramFactory())

    response = signed_in.get(list_url(program), {"stage": elsewhere.pk})

    assert listed(response) == []
    assert "stage" in response.context["filter"].errors


@pytest.mark.parametrize("applications", [2, 6])
def test_the_list_makes_a_fixed_number_of_queries(
    signed_in: Client,
    program: Program,
    admin: User,
    reviewer: User,
    django_assert_num_queries: Any,
    applications: int,
) -> None:
    for number in range(applications):
        application = applied(f"Company {number}", program)
        reviewed(application, reviewer, admin, pilots=5, maturity=5)

    # 1 the session, 2 the user, 3 their roles in their agencies, 4 the program among them
    # (their role there follows), 5 the paginator's count, 6 the program's award criteria (for
    # review weights), 7 the program's stages (the filter's options and the rows' stage names),
    # 8 the page of applications with companies, 9 their submitted reviews.
    with django_assert_num_queries(9):
        response = signed_in.get(list_url(program))

    assert len(listed(response)) == applications


# --- the CSV export ------------------------------------------------------------------------------


def export(client: Client, program: Program, **filters: Any) -> list[list[str]]:
    response = client.get(reverse("staff:applications-export", args=[program.slug]), filters)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="taipei-poc-applications.csv"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))


def test_the_csv_has_every_application_with_the_lists_columns_in_the_programs_time_zone(
    signed_in: Client, program: Program, admin: User, reviewer: User
) -> None:
    application = applied("Curb Co", program, prior_pilots=2, trl=9)
    Application.objects.filter(pk=application.pk).update(
        submitted_at=datetime.datetime(2026, 3, 1, 16, 30, tzinfo=datetime.UTC)
    )
    reviewed(application, reviewer, admin, pilots=8, maturity=4)

    rows = export(signed_in, program)

    assert rows == [
        [
            "Company",
            "Country",
            "Stage",
            "Status",
            "Submitted at (Asia/Taipei)",
            "Eligibility at submission",
            "Automatic score",
            "Mean review score",
        ],
        # 16:30 UTC is half past midnight the next day in Taipei (UTC+8).
        [
            "Curb Co",
            "TW",
            "Proof of concept",
            "Submitted",
            "2026-03-02 00:30",
            "Eligible",
            "100.00",
            "70.00",
        ],
    ]


def test_the_csv_takes_the_lists_filters_and_covers_every_page(
    signed_in: Client, program: Program
) -> None:
    for number in range(27):
        applied(f"Company {number:02}", program, days_ago=number)
    declined = applied("Declined Co", program)
    Application.objects.filter(pk=declined.pk).update(status=Application.Status.DECLINED)

    every = export(signed_in, program, status="submitted", sort="company")
    only = export(signed_in, program, status="declined")

    assert [row[0] for row in every[1:]] == [f"Company {number:02}" for number in range(27)]
    assert [row[0] for row in only[1:]] == ["Declined Co"]


def test_the_csv_keeps_a_formula_like_company_name_as_text(
    signed_in: Client, program: Program
) -> None:
    applied("=HYPERLINK(evil)", program)

    assert export(signed_in, program)[1][0] == "'=HYPERLINK(evil)"


def test_the_csv_makes_a_fixed_number_of_queries(
    signed_in: Client, program: Program, admin: User, reviewer: User, django_assert_num_queries: Any
) -> None:
    for number in range(4):
        reviewed(applied(f"Company {number}", program), reviewer, admin, pilots=5, maturity=5)

    # 1 the session, 2 the user, 3 their roles in their agencies, 4 the program among them,
    # 5 its award criteria, then while streaming: 6 the applications with companies and stages,
    # 7 their submitted reviews (one more pair per 500 applications).
    with django_assert_num_queries(7):
        response = signed_in.get(reverse("staff:applications-export", args=[program.slug]))
        lines = b"".join(response.streaming_content).decode().splitlines()

    assert len(lines) == 5


# --- one application -----------------------------------------------------------------------------


def detail_url(application: Application) -> str:
    return reverse("staff:application", args=[application.program.slug, application.pk])


def test_the_page_shows_the_profile_answers_documents_reviews_and_history(
    signed_in: Client, program: Program, admin: User, reviewer: User
) -> None:
    # given an application with an answer, a document, a review and an internal note
    company = make_company("Curb Co", prior_pilots=2, trl=9, description="Curbside sensors.")
    owner = owner_of(company)
    deck = services.document_upload(
        company=company,
        user=owner,
        kind=Document.Kind.PITCH_DECK,
        title="Curb deck",
        upload=SimpleUploadedFile("deck.pdf", TINY_PDF, content_type="application/pdf"),
    )
    question = Question.objects.create(
        program=program, label="What will you test?", kind="long-text"
    )
    upload = Question.objects.create(program=program, label="Your deck", kind="file")
    application = submit(
        company, program, answers={str(question.pk): "Parking sensors.", str(upload.pk): deck.pk}
    )
    reviewed(application, reviewer, admin, pilots=8, maturity=4)
    ApplicationEvent.objects.create(
        application=application, kind=ApplicationEvent.Kind.NOTE, actor=admin, note="Call them."
    )

    response = signed_in.get(detail_url(application))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Curbside sensors." in html
    assert "What will you test?" in html and "Parking sensors." in html
    document_url = reverse(
        "staff:application-document", args=[program.slug, application.pk, deck.pk]
    )
    assert html.count(document_url) == 2  # in the profile and as the answer
    assert response.context["auto_score"] == 100.0
    assert response.context["review_score"] == 70.0
    assert "Pilots: 8/10" in html
    assert [event.kind for event in response.context["events"]] == ["submitted", "note"]
    assert "Call them." in html and "Internal" in html


def test_a_document_downloads_for_staff_and_only_the_applicants(
    signed_in: Client, program: Program
) -> None:
    application = applied("Curb Co", program)
    deck = services.document_upload(
        company=application.company,
        user=owner_of(application.company),
        kind=Document.Kind.PITCH_DECK,
        title="Deck",
        upload=SimpleUploadedFile("deck.pdf", TINY_PDF, content_type="application/pdf"),
    )
    stranger = make_company("Other Co")
    theirs = services.document_upload(
        company=stranger,
        user=owner_of(stranger),
        kind=Document.Kind.PITCH_DECK,
        title="Theirs",
        upload=SimpleUploadedFile("theirs.pdf", TINY_PDF, content_type="application/pdf"),
    )

    ok = signed_in.get(
        reverse("staff:application-document", args=[program.slug, application.pk, deck.pk])
    )
    other = signed_in.get(
        reverse("staff:application-document", args=[program.slug, application.pk, theirs.pk])
    )

    assert ok.status_code == 200
    assert b"".join(ok.streaming_content) == TINY_PDF
    assert 'attachment; filename="deck.pdf"' in ok["Content-Disposition"]
    assert other.status_code == 404


def test_the_eligibility_now_is_the_stored_match_when_it_is_fresh(
    signed_in: Client, program: Program
) -> None:
    application = applied("Curb Co", program, prior_pilots=2, trl=9)

    response = signed_in.get(detail_url(application))

    now = response.context["now"]
    assert (now.source, now.eligibility, now.score) == ("stored", "eligible", 100.0)
    assert response.context["then"].eligibility == "eligible"


def test_the_eligibility_now_is_computed_when_the_profile_changed_since_scoring(
    signed_in: Client, program: Program
) -> None:
    application = applied("Curb Co", program, prior_pilots=2, trl=9)
    company = application.company
    # The vendor moves to a sector the program does not take; the rescore has not run yet.
    services.company_update(
        company=company, user=owner_of(company), sectors=list(program.sectors.none())
    )

    response = signed_in.get(detail_url(application))

    now = response.context["now"]
    assert now.source == "computed"
    assert now.eligibility == "incomplete"  # no sectors: the domain gate cannot be decided
    assert response.context["then"].eligibility == "eligible"
    assert "Computed just now" in response.content.decode()


def test_an_application_of_another_program_is_404(signed_in: Client, program: Program) -> None:
    other = ProgramFactory(owner=program.owner)
    StageFactory(program=other)
    elsewhere = applied("Elsewhere", other)

    url = reverse("staff:application", args=[program.slug, elsewhere.pk])

    assert signed_in.get(url).status_code == 404


def test_the_application_page_makes_a_fixed_number_of_queries(
    signed_in: Client, program: Program, admin: User, reviewer: User, django_assert_num_queries: Any
) -> None:
    application = applied("Curb Co", program, prior_pilots=2, trl=9)
    reviewed(application, reviewer, admin, pilots=8, maturity=4)
    signed_in.get(detail_url(application))  # compiles the rules in this process

    # 1 the session, 2 the user, 3 their roles in their agencies, 4 the program among them
    # (their role there follows), 5 the application with company and stage, 6-10 the company's
    # sectors, partners and documents, the history, the reviews; 11 the sector names for the
    # wording, 12 the award criteria, 13 the stages, 14 the stored match, 15 the questions, 16
    # the staff who could still review it. (The rules are compiled once
    # per process and version: three more queries the first time.)
    with django_assert_num_queries(16):
        response = signed_in.get(detail_url(application))

    assert response.status_code == 200


# --- decisions -----------------------------------------------------------------------------------


def action_url(application: Application, action: str) -> str:
    return reverse(f"staff:application-{action}", args=[application.program.slug, application.pk])


def test_an_admin_advances_an_application_to_the_next_stage_with_a_note(
    signed_in: Client, program: Program
) -> None:
    application = applied("Curb Co", program)

    response = signed_in.post(
        action_url(application, "advance"), {"stage": application.stage_id, "note": "Well done."}
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(application)
    application.refresh_from_db()
    assert application.stage.name == "Small-scale pilot"
    event = application.events.get(kind=ApplicationEvent.Kind.ADVANCED)
    assert (event.from_stage.name, event.to_stage.name, event.note) == (
        "Proof of concept",
        "Small-scale pilot",
        "Well done.",
    )


def test_a_page_left_open_does_not_advance_an_application_twice(
    signed_in: Client, program: Program
) -> None:
    program.stages.update(max_participants=None)
    application = applied("Curb Co", program)
    seen = application.stage_id
    signed_in.post(action_url(application, "advance"), {"stage": seen})

    again = signed_in.post(action_url(application, "advance"), {"stage": seen})

    assert again.status_code == 400
    assert "changed since you opened it" in again.content.decode()
    application.refresh_from_db()
    assert (application.stage.name, application.status) == ("Small-scale pilot", "submitted")


def test_advancing_past_a_full_stage_is_refused_with_the_reason(
    signed_in: Client, program: Program
) -> None:
    first = applied("First Co", program)
    second = applied("Second Co", program)
    signed_in.post(action_url(first, "advance"), {"stage": first.stage_id})

    response = signed_in.post(action_url(second, "advance"), {"stage": second.stage_id})

    assert response.status_code == 400
    assert "Small-scale pilot is full" in response.content.decode()
    second.refresh_from_db()
    assert second.stage.name == "Proof of concept"


def test_declining_needs_a_reason_shown_next_to_the_field(
    signed_in: Client, program: Program
) -> None:
    application = applied("Curb Co", program)

    refused = signed_in.post(action_url(application, "decline"), {"stage": application.stage_id})
    declined = signed_in.post(
        action_url(application, "decline"),
        {"stage": application.stage_id, "note": "Outside our domains."},
    )

    assert refused.status_code == 400
    assert 'id="id_note_error"' in refused.content.decode()
    assert declined.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.DECLINED


def test_an_admin_adds_an_internal_note(signed_in: Client, program: Program, admin: User) -> None:
    application = applied("Curb Co", program)

    signed_in.post(action_url(application, "note"), {"note": "Ask about their sensors."})

    note = application.events.get(kind=ApplicationEvent.Kind.NOTE)
    assert (note.actor, note.note) == (admin, "Ask about their sensors.")


def test_an_admin_assigns_reviewers_from_the_programs_staff(
    signed_in: Client, program: Program, reviewer: User
) -> None:
    application = applied("Curb Co", program)
    outsider = make_staff("outsider@moscow.example", AgencyFactory(slug="moscow"))

    form = signed_in.get(action_url(application, "assign"))
    response = signed_in.post(action_url(application, "assign"), {"reviewers": [reviewer.pk]})
    foreign = signed_in.post(action_url(application, "assign"), {"reviewers": [outsider.pk]})

    assert reviewer.email in form.content.decode()
    assert outsider.email not in form.content.decode()
    assert response.status_code == 302
    assert list(application.reviews.values_list("reviewer__email", flat=True)) == [reviewer.email]
    assert foreign.status_code == 400


@pytest.mark.parametrize("action", ["advance", "decline", "note", "assign"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_reviewer_gets_403_on_every_decision_and_changes_nothing(
    client: Client, program: Program, reviewer: User, action: str, method: str
) -> None:
    application = applied("Curb Co", program)
    client.force_login(reviewer)
    data = {"stage": application.stage_id, "note": "x", "reviewers": [reviewer.pk]}

    response = getattr(client, method)(action_url(application, action), data)

    assert response.status_code == 403
    application.refresh_from_db()
    assert (application.status, application.stage.order) == ("submitted", 0)
    assert application.events.count() == 1
    assert not application.reviews.exists()


def test_a_reviewer_reads_an_application_without_the_decision_forms(
    client: Client, program: Program, reviewer: User
) -> None:
    application = applied("Curb Co", program)
    store_match(application.company, program, "eligible", 100)
    client.force_login(reviewer)

    html = client.get(detail_url(application)).content.decode()

    assert "Curb Co" in html
    assert action_url(application, "advance") not in html


def test_a_row_shows_the_company_stage_status_submission_and_eligibility(
    signed_in: Client, program: Program
) -> None:
    application = applied("Curb Co", program, country="DE")
    Application.objects.filter(pk=application.pk).update(eligibility_at_submission=None)
    declined = applied("Late Co", program, days_ago=1)
    Application.objects.filter(pk=declined.pk).update(
        status=Application.Status.DECLINED, stage=None
    )

    html = re.sub(r"\s+", " ", signed_in.get(list_url(program)).content.decode())

    first = html[html.index(f'data-application="{application.pk}"') :]
    first = first[: first.index("</tr>")]
    assert reverse("staff:application", args=[program.slug, application.pk]) in first
    assert '<span class="meta">Germany</span>' in first
    assert "<td>Proof of concept</td>" in first
    assert '<span class="badge badge-status-submitted">Submitted</span>' in first
    assert '<span class="badge">Unknown</span>' in first  # no snapshot of the eligibility
    second = html[html.index(f'data-application="{declined.pk}"') :]
    second = second[: second.index("</tr>")]
    assert "<td>—</td>" in second
    assert '<span class="badge badge-status-declined">Declined</span>' in second
