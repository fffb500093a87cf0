"""The vendor's application pages: apply, the draft with autosave, submit, the timeline."""

import datetime
import json
import re
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applicants.applications import (
    application_add_note,
    application_advance,
    application_decline,
    application_save_answers,
    application_start,
    application_submit,
)
from applicants.models import Application, ApplicationEvent, Company, User
from matchmaker.services import companies_score
from programs.models import Program, Stage
from tests.applicants.applying import (
    TAIPEI_POC,
    MakeCompany,
    Questions,
    add_questions,
    join,
    program,
    ready_draft,
    staff_of,
    upload,
    vendor_company,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Status = Application.Status
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def questions(demo: None) -> Questions:
    return add_questions(program())


@pytest.fixture
def vendor(make_company: MakeCompany) -> tuple[Company, User]:
    return vendor_company(make_company)


@pytest.fixture
def company(vendor: tuple[Company, User]) -> Company:
    return vendor[0]


@pytest.fixture
def owner(vendor: tuple[Company, User]) -> User:
    return vendor[1]


@pytest.fixture
def signed_in(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


@pytest.fixture
def draft(company: Company, owner: User, questions: Questions) -> Application:
    return application_start(company=company, user=owner, program=questions.pitch.program)


def page(application: Application) -> str:
    return reverse("companies:application", args=[application.company_id, application.pk])


def text(response: Any) -> str:
    content: str = response.content.decode()
    return re.sub(r"\s+", " ", content)


def section(response: Any, heading_id: str) -> str:
    """The HTML of the card labelled by ``heading_id``."""
    html = text(response)
    start = html.index(f'aria-labelledby="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def field(questions: Questions, name: str) -> str:
    return f"q{getattr(questions, name).pk}"


def form_data(questions: Questions, action: str, **answers: Any) -> dict[str, Any]:
    data = {field(questions, name): value for name, value in answers.items()}
    return {"action": action, **data}


# --- applying ------------------------------------------------------------------------------------


def test_the_program_page_of_an_open_program_offers_to_apply(client: Client, demo: None) -> None:
    response = client.get(reverse("programs:detail", args=[TAIPEI_POC]))

    assert f'href="{reverse("companies:apply", args=[TAIPEI_POC])}"' in text(response)


def test_the_program_page_of_a_closed_program_does_not(client: Client, demo: None) -> None:
    Program.objects.filter(slug=TAIPEI_POC).update(status=Program.Status.CLOSED)

    response = client.get(reverse("programs:detail", args=[TAIPEI_POC]))

    assert reverse("companies:apply", args=[TAIPEI_POC]) not in text(response)


def test_applying_starts_a_draft_and_opens_it(
    signed_in: Client, company: Company, questions: Questions
) -> None:
    response = signed_in.post(
        reverse("companies:apply", args=[TAIPEI_POC]), {"company": company.pk}, follow=True
    )

    application = Application.objects.get()
    assert response.redirect_chain == [(page(application), 302)]
    assert (application.company, application.status) == (company, Status.DRAFT)
    assert "Your draft application to Taipei bottom-up proof of concept is open" in text(response)


def test_applying_again_opens_the_same_application(
    signed_in: Client, company: Company, draft: Application
) -> None:
    response = signed_in.post(
        reverse("companies:apply", args=[TAIPEI_POC]), {"company": company.pk}
    )

    assert response["Location"] == page(draft)
    assert Application.objects.count() == 1


def test_the_apply_page_offers_the_companies_that_have_not_applied_and_links_the_others(
    make_company: MakeCompany, signed_in: Client, owner: User, draft: Application
) -> None:
    second = make_company(legal_name="Second Co")
    join(second, owner)

    html = text(signed_in.get(reverse("companies:apply", args=[TAIPEI_POC])))

    assert f'<input type="radio" name="company" value="{second.pk}" checked>' in html
    assert f'value="{draft.company_id}"' not in html
    assert f'href="{page(draft)}">Continue your application' in html


def test_someone_without_a_company_is_asked_to_register_one(client: Client, demo: None) -> None:
    client.force_login(UserFactory())

    response = client.get(reverse("companies:apply", args=[TAIPEI_POC]))

    assert "Register yours first" in text(response)
    assert f'href="{reverse("companies:create")}"' in text(response)


def test_applying_for_another_vendors_company_is_refused(
    make_company: MakeCompany, signed_in: Client, demo: None
) -> None:
    other, _other_owner = vendor_company(make_company, email="other@example.com")

    response = signed_in.post(reverse("companies:apply", args=[TAIPEI_POC]), {"company": other.pk})

    assert response.status_code == 200
    assert "Choose one of your companies." in text(response)
    assert not Application.objects.exists()


def test_an_unverified_user_is_sent_to_the_verification_page_to_apply(
    client: Client, company: Company, demo: None
) -> None:
    unverified = join(company, UserFactory(unverified=True), role="member")
    client.force_login(unverified)

    response = client.post(reverse("companies:apply", args=[TAIPEI_POC]), {"company": company.pk})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:verification-needed"))
    assert not Application.objects.exists()


def test_a_draft_program_has_no_apply_page(signed_in: Client, demo: None) -> None:
    Program.objects.filter(slug=TAIPEI_POC).update(status=Program.Status.DRAFT)

    response = signed_in.get(reverse("companies:apply", args=[TAIPEI_POC]))

    assert response.status_code == 404


def test_my_matches_offers_apply_then_continue(
    signed_in: Client, company: Company, owner: User, demo: None
) -> None:
    companies_score(company_ids=[company.pk])
    matches = reverse("companies:matches", args=[company.pk])
    apply = reverse("companies:apply", args=[TAIPEI_POC])

    before = text(signed_in.get(matches))
    draft = application_start(company=company, user=owner, program=program())
    after = text(signed_in.get(matches))

    assert f'<form method="post" action="{apply}" class="inline-form">' in before
    assert f'action="{apply}"' not in after
    assert f'href="{page(draft)}">Continue your application' in after


# --- the draft -----------------------------------------------------------------------------------


def test_the_draft_shows_the_questions_in_order_with_help_and_required_marks(
    signed_in: Client, draft: Application, questions: Questions
) -> None:
    html = text(signed_in.get(page(draft)))

    labels = re.findall(r'<label for="id_q\d+">([^<]+)', html)
    assert [label.strip() for label in labels] == [q.label for q in questions.all()]
    required = '<span class="required">(required)</span>'
    assert f'<label for="id_q{questions.pitch.pk}">Your idea in one sentence {required}' in html
    assert f'<label for="id_q{questions.plan.pk}">How would the test run?</label>' in html
    assert f'<p class="help" id="id_{field(questions, "pitch")}_helptext">Plain words.</p>' in html
    assert f'aria-describedby="id_{field(questions, "pitch")}_helptext"' in html


def test_a_file_question_picks_from_the_companys_documents_with_a_link_to_upload(
    signed_in: Client, company: Company, owner: User, draft: Application, questions: Questions
) -> None:
    deck = upload(company, owner, title="Our deck")

    html = text(signed_in.get(page(draft)))

    assert f'<option value="{deck.pk}">Our deck (Pitch deck)</option>' in html
    assert f'href="{reverse("companies:documents", args=[company.pk])}">Upload a document' in html


def test_the_draft_shows_the_deadline_in_the_programs_time_zone_with_the_time_left(
    signed_in: Client, draft: Application
) -> None:
    closes = (timezone.now() + datetime.timedelta(days=3)).astimezone(TAIPEI)
    closes = closes.replace(hour=18, minute=0, second=0, microsecond=0)
    Stage.objects.filter(program=draft.program, order=0).update(closes_at=closes)

    html = text(signed_in.get(page(draft)))

    assert f'<time datetime="{closes.isoformat()}">' in html
    assert f"{closes.day}, {closes.year}, 6 p.m. (Asia/Taipei)</time>" in html
    assert re.search(r'<span class="countdown">\d days?(, \d+ hours?)? left</span>', html)


def test_the_draft_shows_the_current_eligibility_with_what_would_fix_it(
    make_company: MakeCompany, client: Client, questions: Questions
) -> None:
    company, owner = vendor_company(make_company, email="young@example.com", trl=4)
    client.force_login(owner)
    draft = application_start(company=company, user=owner, program=program())

    eligibility = section(client.get(page(draft)), "eligibility-heading")

    assert "Not eligible" in eligibility
    assert "<strong>Ready for a real-site demonstration</strong> — TRL at least 6" in eligibility
    assert "<li>TRL must be at least 6 — yours is 4</li>" in eligibility


def test_autosave_saves_the_answers_and_says_so_in_json(
    signed_in: Client, draft: Application, questions: Questions
) -> None:
    response = signed_in.post(
        page(draft),
        form_data(questions, "autosave", pitch="Parking sensors", budget="12.5", site="Park"),
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 200
    assert response.json() == {"saved": True, "errors": {}, "form_errors": []}
    draft.refresh_from_db()
    assert draft.answers == {
        str(questions.pitch.pk): "Parking sensors",
        str(questions.budget.pk): 12.5,
        str(questions.site.pk): "Park",
    }


def test_autosave_names_a_bad_answer_by_its_input_and_saves_nothing(
    signed_in: Client, draft: Application, questions: Questions
) -> None:
    response = signed_in.post(
        page(draft),
        form_data(questions, "autosave", pitch="Parking sensors", budget="a lot"),
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "saved": False,
        "errors": {f"id_{field(questions, 'budget')}": ["Give a number, e.g. 12 or 3.5."]},
        "form_errors": [],
    }
    draft.refresh_from_db()
    assert draft.answers == {}


def test_the_page_loads_the_autosave_script_and_its_live_status(
    signed_in: Client, draft: Application
) -> None:
    html = text(signed_in.get(page(draft)))

    assert '<script src="/static/js/autosave.js" defer></script>' in html
    assert 'aria-live="polite" aria-atomic="true" data-autosave-status' in html
    assert '"saved": "Saved"' in html


def test_the_save_button_saves_without_javascript(
    signed_in: Client, draft: Application, questions: Questions
) -> None:
    response = signed_in.post(
        page(draft), form_data(questions, "save", pitch="Parking sensors"), follow=True
    )

    assert response.redirect_chain == [(page(draft), 302)]
    assert "Your answers are saved." in text(response)
    assert 'value="Parking sensors"' in text(response)


def test_a_bad_answer_from_the_save_button_is_shown_beside_its_field(
    signed_in: Client, draft: Application, questions: Questions
) -> None:
    response = signed_in.post(page(draft), form_data(questions, "save", site="Moon"))

    html = text(response)
    assert "There is a problem: nothing was saved" in html
    assert "Choose one of the answers listed." in html
    draft.refresh_from_db()
    assert draft.answers == {}


def test_a_refused_submission_shows_every_reason_next_to_the_form(
    make_company: MakeCompany, client: Client, questions: Questions
) -> None:
    # given an ineligible company whose draft misses the budget
    company, owner = vendor_company(make_company, email="young@example.com", trl=4)
    client.force_login(owner)
    draft = application_start(company=company, user=owner, program=program())

    response = client.post(page(draft), form_data(questions, "submit", pitch="Hi", site="Park"))

    # then the reasons are listed, the gate with its fix, the answer beside its field
    html = text(response)
    assert response.status_code == 200
    assert "Your application was not submitted" in html
    assert (
        f'<li data-reason="answer"><a href="#id_{field(questions, "budget")}">Answer the '
        "question “Budget you ask for (TWD)”.</a></li>"
    ) in html
    assert "Not met: Ready for a real-site demonstration — TRL at least 6." in html
    assert '<ul class="fixes"><li>TRL must be at least 6 — yours is 4</li></ul>' in html
    assert re.search(
        rf'id="id_{field(questions, "budget")}_error"[^>]*><p>.*?Answer the question', html
    )
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.answers == {str(questions.pitch.pk): "Hi", str(questions.site.pk): "Park"}


def test_a_refused_submission_after_the_deadline_says_when_it_passed(
    signed_in: Client, draft: Application, questions: Questions
) -> None:
    closes = timezone.now().astimezone(TAIPEI).replace(
        second=0, microsecond=0
    ) - datetime.timedelta(hours=2)
    Stage.objects.filter(program=draft.program, order=0).update(
        opens_at=closes - datetime.timedelta(days=30), closes_at=closes
    )

    html = text(
        signed_in.post(
            page(draft), form_data(questions, "submit", pitch="Hi", budget="1", site="Park")
        )
    )

    assert (
        f"passed on {closes.strftime('%b')}" in html or f"passed on {closes.strftime('%B')}" in html
    )
    assert f"{closes:%H:%M} (Asia/Taipei)." in html
    assert "— <strong>passed</strong>" in html


def test_submitting_from_the_page_shows_the_submitted_application(
    signed_in: Client, draft: Application, questions: Questions
) -> None:
    response = signed_in.post(
        page(draft),
        form_data(questions, "submit", pitch="Parking sensors", budget="1500000", site="Street"),
        follow=True,
    )

    html = text(response)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    assert "Your application to Taipei bottom-up proof of concept is submitted." in html
    assert 'data-status="submitted">Submitted</span>' in html
    assert "<dt>Budget you ask for (TWD)</dt> <dd>1500000</dd>" in html
    assert "Eligibility when you submitted" in html
    assert 'name="action"' not in html  # read-only now


def test_a_submitted_application_ignores_a_stale_form(
    signed_in: Client, company: Company, owner: User, questions: Questions
) -> None:
    application = application_submit(application=ready_draft(company, owner, questions), user=owner)

    response = signed_in.post(page(application), form_data(questions, "save", pitch="Changed"))

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.answers[str(questions.pitch.pk)] != "Changed"


def test_autosave_from_a_stale_page_says_the_draft_was_submitted(
    signed_in: Client, company: Company, owner: User, questions: Questions
) -> None:
    application = application_submit(application=ready_draft(company, owner, questions), user=owner)

    response = signed_in.post(
        page(application),
        form_data(questions, "autosave", pitch="Changed"),
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 409
    assert response.json()["form_errors"] == [
        "This application is submitted: its answers can no longer change."
    ]


# --- after submission: the timeline --------------------------------------------------------------


@pytest.fixture
def decided(company: Company, owner: User, questions: Questions) -> Application:
    """Submitted, advanced to the pilot with a message, noted internally, then declined."""
    staff = staff_of("taipei-smart-city-office")
    staff.first_name, staff.last_name = "Mei", "Lin"
    staff.save()
    application = application_submit(application=ready_draft(company, owner, questions), user=owner)
    application = application_advance(application=application, actor=staff, note="Great POC.")
    application_add_note(application=application, actor=staff, note="Their CFO is my cousin.")
    return application_decline(
        application=application, actor=staff, note="The pilot site closed for works."
    )


def test_the_timeline_shows_every_stage_change_and_decision_with_its_message(
    signed_in: Client, decided: Application
) -> None:
    timeline = section(signed_in.get(page(decided)), "timeline-heading")

    assert re.findall(r"<strong>([^<]+)</strong>", timeline) == [
        "Draft started",
        "Submitted to Proof of concept",
        "Moved from Proof of concept to Small-scale pilot",
        "Declined at Small-scale pilot",
    ]
    assert '<blockquote class="timeline-note">Great POC.</blockquote>' in timeline
    assert (
        '<blockquote class="timeline-note">The pilot site closed for works.</blockquote>'
        in timeline
    )


def test_the_timeline_never_shows_internal_notes_nor_who_on_the_staff_acted(
    signed_in: Client, decided: Application
) -> None:
    html = text(signed_in.get(page(decided)))

    assert "Their CFO is my cousin." not in html
    assert "Mei" not in html and "staff@taipei.example" not in html
    assert section(signed_in.get(page(decided)), "timeline-heading").count("· Program staff") == 2


def test_the_timeline_tells_times_in_the_programs_time_zone(
    signed_in: Client, decided: Application
) -> None:
    submitted = decided.events.get(kind=ApplicationEvent.Kind.SUBMITTED).created_at
    local = submitted.astimezone(TAIPEI)

    timeline = section(signed_in.get(page(decided)), "timeline-heading")

    assert "Times are in the program's time zone, Asia/Taipei." in timeline
    assert f'<time datetime="{local.isoformat()}">' in timeline
    assert f", {local:%H:%M}</time> · vendor@example.com" in timeline


def test_the_page_of_a_completed_application_says_it_went_through_every_stage(
    signed_in: Client, company: Company, owner: User, questions: Questions
) -> None:
    staff = staff_of("taipei-smart-city-office")
    application = application_submit(application=ready_draft(company, owner, questions), user=owner)
    for _stage in range(3):
        application = application_advance(application=application, actor=staff)

    html = text(signed_in.get(page(application)))

    assert "Completed: your application went through every stage of the program." in html
    assert "Completed the program, after its last stage: Policy" in html


# --- withdrawing ---------------------------------------------------------------------------------


def test_withdrawing_asks_for_confirmation_first(signed_in: Client, draft: Application) -> None:
    url = reverse("companies:application-withdraw", args=[draft.company_id, draft.pk])

    response = signed_in.get(url)

    assert "Withdraw your application to Taipei bottom-up proof of concept?" in text(response)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_withdrawing_on_post_keeps_the_note_on_the_timeline(
    signed_in: Client, company: Company, owner: User, questions: Questions
) -> None:
    application = application_submit(application=ready_draft(company, owner, questions), user=owner)
    url = reverse("companies:application-withdraw", args=[company.pk, application.pk])

    response = signed_in.post(url, {"note": "We chose another city."}, follow=True)

    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN
    html = text(response)
    assert "You withdrew your application to Taipei bottom-up proof of concept." in html
    assert '<blockquote class="timeline-note">We chose another city.</blockquote>' in html


def test_a_withdrawn_draft_offers_to_start_again(signed_in: Client, draft: Application) -> None:
    url = reverse("companies:application-withdraw", args=[draft.company_id, draft.pk])
    signed_in.post(url)

    html = text(signed_in.get(page(draft)))

    assert "Start this application again" in html


# --- access and the list -------------------------------------------------------------------------


def test_another_vendor_cannot_open_an_application_through_its_own_company(
    make_company: MakeCompany, client: Client, draft: Application
) -> None:
    other, other_owner = vendor_company(make_company, email="other@example.com")
    client.force_login(other_owner)

    response = client.get(reverse("companies:application", args=[other.pk, draft.pk]))

    assert response.status_code == 404


def test_an_unverified_member_is_sent_to_the_verification_page(
    client: Client, company: Company, draft: Application
) -> None:
    client.force_login(join(company, UserFactory(unverified=True), role="member"))

    response = client.get(page(draft))

    assert response["Location"].startswith(reverse("accounts:verification-needed"))


def test_the_list_shows_each_application_with_its_status_and_stage(
    make_company: MakeCompany,
    signed_in: Client,
    company: Company,
    owner: User,
    questions: Questions,
) -> None:
    submitted = application_submit(application=ready_draft(company, owner, questions), user=owner)
    moscow = application_start(company=company, user=owner, program=program("moscow-pilots"))

    html = text(signed_in.get(reverse("companies:applications", args=[company.pk])))

    assert re.findall(r'<tr data-application="(\d+)">', html) == [str(moscow.pk), str(submitted.pk)]
    assert '<span class="badge badge-application-submitted">Submitted</span>' in html
    assert "<td>Proof of concept</td>" in html
    assert "(Europe/Moscow)</time>" in html  # the Moscow draft's deadline


def test_the_list_says_so_when_the_company_has_not_applied(
    signed_in: Client, company: Company, demo: None
) -> None:
    html = text(signed_in.get(reverse("companies:applications", args=[company.pk])))

    assert "Your company has not applied to any program yet." in html


# --- query counts --------------------------------------------------------------------------------


def test_the_list_page_makes_a_fixed_number_of_queries(
    signed_in: Client, company: Company, owner: User, demo: None, django_assert_num_queries: Any
) -> None:
    for slug in ("moscow-pilots", TAIPEI_POC, "taipei-needs-first"):
        application_start(company=company, user=owner, program=program(slug))

    # 1 the session, 2 the user, 3 the company with the viewer's role and the counts its
    # navigation shows, 4 its sectors, 5 its partners, 6 the applications with their programs,
    # owners, stages and application deadlines
    with django_assert_num_queries(6):
        response = signed_in.get(reverse("companies:applications", args=[company.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("with_file_question", [True, False])
def test_the_draft_page_makes_a_fixed_number_of_queries(
    signed_in: Client,
    draft: Application,
    questions: Questions,
    django_assert_num_queries: Any,
    with_file_question: bool,
) -> None:
    if not with_file_question:
        questions.deck.delete()
    signed_in.get(page(draft))  # compiles the program's rules in this process

    # 1 the session, 2 the user, 3-5 the company, its sectors and partners, 6 the application
    # with program, owner and stage, 7 the questions, (8 the company's documents, only for a
    # file question), then the stages and the sector names the eligibility report words
    with django_assert_num_queries(10 if with_file_question else 9):
        response = signed_in.get(page(draft))

    assert response.status_code == 200


def test_the_submitted_page_makes_a_fixed_number_of_queries(
    signed_in: Client, decided: Application, django_assert_num_queries: Any
) -> None:
    signed_in.get(page(decided))

    # 1 the session, 2 the user, 3-5 the company, its sectors and partners, 6 the application
    # with program, owner and stage, 7 the questions, 8 the stages, 9 the sector names,
    # 10 the documents (a file question), 11 the timeline's events with actors and stages
    with django_assert_num_queries(11):
        response = signed_in.get(page(decided))

    assert response.status_code == 200


def test_saving_answers_does_not_touch_another_field(
    signed_in: Client, draft: Application, questions: Questions
) -> None:
    application_save_answers(
        application=draft,
        user=draft.created_by,
        answers={str(questions.plan.pk): "Plan"},  # type: ignore[arg-type]
    )

    signed_in.post(
        page(draft),
        {**form_data(questions, "autosave", plan="Plan", pitch="Pitch"), "status": "submitted"},
    )

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert json.loads(json.dumps(draft.answers)) == {
        str(questions.plan.pk): "Plan",
        str(questions.pitch.pk): "Pitch",
    }
